import type { Knex } from 'knex';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { DatasourceErrorCode, DatasourceException, invalidField } from '../datasource.exception';
import type { FieldSpec, ResolvedDatasource } from './connector';
import { SqlConnectorBase } from './sql-connector-base';
import { parseWith } from './sql-config';

/**
 * One part of a file name: letters, digits, `_`, `-`, `.` and spaces, not starting with `.`
 * (so no `.`, `..` or hidden file) nor ending with a space. Everything else is refused rather
 * than interpreted: `\`, `%` (no URL decoding: `%2e%2e` stays refused), `:` (`file:` URIs,
 * `:memory:`, `C:`), NUL and control characters.
 */
const NAME_PART = /^[\p{L}\p{N}_-](?:[\p{L}\p{N}_. -]*[\p{L}\p{N}_.-])?$/u;

/** Relative file name of a SQLite datasource inside its workspace's folder (at most 4 parts). */
export const ZSqliteFilename = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(255)
  .superRefine((value, ctx) => {
    const problem = filenameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function filenameProblem(value: string): string | null {
  if (value.startsWith('/') || /^[a-zA-Z]:/.test(value)) {
    return "must be a relative path inside the workspace's SQLite folder";
  }
  if (value.includes('\\')) return 'must use "/" between folders, not "\\"';
  const parts = value.split('/');
  if (parts.includes('..')) return 'must not contain ".."';
  if (parts.length > 4) return 'must have at most 3 folders';
  if (!parts.every((p) => NAME_PART.test(p))) {
    return 'each part must be letters, digits, "_", "-", "." or spaces and must not start with "."';
  }
  return null;
}

const schema = z
  .object({
    filename: ZSqliteFilename,
    // Opens the file with SQLITE_OPEN_READONLY: no statement can change it.
    readOnly: z.boolean().default(false),
  })
  .strict();

/** Workspace ids name folders: only the characters a UUID has. */
const WORKSPACE_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * SQLite files through knex + better-sqlite3. Each workspace has its own folder,
 * `<SQLITE_DATASOURCE_DIR>/<workspace id>/` (created with mode 0700 on first use), and a
 * datasource's `filename` is relative to it: the same name in two workspaces is two files.
 * The real path (symlinks resolved, checked at every connection) must stay inside the
 * workspace's folder and must not be the platform's metadata database. The file must already
 * exist (an operator puts it there), so a datasource cannot create files on the server.
 * Messages never hold a server path.
 */
export class SqliteConnector extends SqlConnectorBase {
  readonly type = 'sqlite' as const;
  readonly label = 'SQLite file';
  readonly placeholderStyle = 'question' as const;
  readonly configFields: FieldSpec[] = [
    {
      name: 'filename',
      label: 'File name',
      kind: 'string',
      required: true,
      placeholder: 'sales.db',
      help: "A file in this workspace's folder on the server (the operator puts it there); sub/folder/name.db for a subfolder.",
    },
    {
      name: 'readOnly',
      label: 'Read-only',
      kind: 'boolean',
      required: false,
      defaultValue: false,
      help: 'Open the file read-only: statements that write are refused.',
    },
  ];
  readonly secretFields: FieldSpec[] = [];
  readonly targetFields = ['filename'];

  parseConfig(config: unknown): Record<string, unknown> {
    return parseWith(schema, config);
  }

  /**
   * The real path of the datasource's file inside its workspace's folder, creating that folder
   * (mode 0700) when it does not exist yet.
   * @throws DatasourceException 400 naming `config.filename` when it leaves the workspace's
   *   folder, is the metadata database, or is not an existing regular file; 422 when the server
   *   has no SQLite folder. No message holds a server path.
   */
  async resolveFile(workspaceId: string, config: Record<string, unknown>): Promise<string> {
    const { filename } = parseWith(schema, config);
    const outside = () =>
      invalidField('config.filename', "must be a file inside the workspace's SQLite folder");
    if (!WORKSPACE_ID.test(workspaceId)) throw outside();
    let root: string;
    try {
      root = await realpath(this.deps.sqliteDir);
    } catch {
      throw new DatasourceException(
        DatasourceErrorCode.TargetRejected,
        'The server has no SQLite datasource folder (SQLITE_DATASOURCE_DIR)',
      );
    }
    const folder = join(root, workspaceId);
    await mkdir(folder, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw outside();
    });
    // The workspace folder itself must be a real folder, not a symlink to elsewhere.
    if ((await realpath(folder).catch(() => '')) !== folder) throw outside();
    let real: string;
    try {
      real = await realpath(resolve(folder, filename));
    } catch {
      throw invalidField('config.filename', "no such file in the workspace's SQLite folder");
    }
    if (!real.startsWith(folder + sep)) throw outside();
    const forbidden = await Promise.all(
      this.deps.forbiddenFiles.map((f) => realpath(f).catch(() => resolve(f))),
    );
    if (forbidden.includes(real)) throw outside();
    if (!(await stat(real)).isFile()) throw invalidField('config.filename', 'must be a file');
    return real;
  }

  protected async preflight(ds: ResolvedDatasource): Promise<void> {
    await this.resolveFile(ds.workspaceId, ds.config);
  }

  protected knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config {
    const { readOnly } = parseWith(schema, ds.config);
    return {
      client: 'better-sqlite3',
      // Re-checked for every connection: a symlink swapped in later is still refused.
      connection: async () => ({
        filename: await this.resolveFile(ds.workspaceId, ds.config),
        options: { readonly: readOnly },
        expirationChecker: () => true,
      }),
      useNullAsDefault: true,
      log: this.knexLog(),
      // better-sqlite3 is synchronous: one connection per file is the useful maximum.
      pool: { ...this.poolSettings(Math.min(poolMax, 1)), min: 0 },
      acquireConnectionTimeout: this.deps.connectTimeoutMs,
    };
  }
}

/** Default folder of SQLite datasources inside the data folder. */
export const defaultSqliteDir = (dataDir: string) => join(dataDir, 'sqlite-datasources');
