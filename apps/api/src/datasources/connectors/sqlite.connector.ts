import type { Knex } from 'knex';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { DatasourceErrorCode, DatasourceException, invalidField } from '../datasource.exception';
import type { FieldSpec, ResolvedDatasource } from './connector';
import { SqlConnectorBase } from './sql-connector-base';
import { parseWith } from './sql-config';

const schema = z
  .object({
    filename: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(255)
      .refine((v) => !isAbsolute(v) && !/^[a-zA-Z]:[\\/]/.test(v), 'must be a relative path')
      .refine((v) => !v.split(/[\\/]/).includes('..'), 'must not contain ".."')
      .refine((v) => !v.includes('\0'), 'must not contain NUL'),
  })
  .strict();

/**
 * SQLite files through knex + better-sqlite3, confined to `SQLITE_DATASOURCE_DIR`: relative
 * names only, no `..`, and the real path (symlinks resolved) must stay inside that folder and
 * must not be the platform's metadata database. The file must already exist (an operator puts
 * it there), so a datasource cannot create files on the server.
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
      help: 'A file in the server folder the operator set up for SQLite datasources.',
    },
  ];
  readonly secretFields: FieldSpec[] = [];
  readonly targetFields = ['filename'];

  parseConfig(config: unknown): Record<string, unknown> {
    return parseWith(schema, config);
  }

  /**
   * The real path of the datasource's file.
   * @throws DatasourceException 400 naming `config.filename` when it leaves the folder, is the
   *   metadata database, or is not an existing regular file.
   */
  async resolveFile(config: Record<string, unknown>): Promise<string> {
    const { filename } = parseWith(schema, config);
    const outside = () =>
      invalidField('config.filename', 'must be a file inside the SQLite folder');
    let root: string;
    try {
      root = await realpath(this.deps.sqliteDir);
    } catch {
      throw new DatasourceException(
        DatasourceErrorCode.TargetRejected,
        'The server has no SQLite datasource folder (SQLITE_DATASOURCE_DIR)',
      );
    }
    let real: string;
    try {
      real = await realpath(resolve(root, filename));
    } catch {
      throw invalidField('config.filename', 'no such file in the SQLite folder');
    }
    const rel = relative(root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !real.startsWith(root + sep)) {
      throw outside();
    }
    const forbidden = await Promise.all(
      this.deps.forbiddenFiles.map((f) => realpath(f).catch(() => resolve(f))),
    );
    if (forbidden.includes(real)) throw outside();
    if (!(await stat(real)).isFile()) throw invalidField('config.filename', 'must be a file');
    return real;
  }

  protected async preflight(ds: ResolvedDatasource): Promise<void> {
    await this.resolveFile(ds.config);
  }

  protected knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config {
    return {
      client: 'better-sqlite3',
      // Re-checked for every connection: a symlink swapped in later is still refused.
      connection: async () => ({
        filename: await this.resolveFile(ds.config),
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
