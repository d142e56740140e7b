import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { lstat, mkdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SQLITE_FILE_NAME } from '../database/data-source-options';
import { ZSqliteFilename } from './connectors/sqlite.connector';
import { DatasourceRepository } from './datasource.repository';

/** A SQLite datasource as stored: its workspace and its `config.filename`. */
export interface SqliteDatasourceRow {
  id: string;
  workspaceId: string;
  filename: unknown;
}

/** What one pass did, for the log and the tests. Filenames are relative to the SQLite folder. */
export interface SqliteFolderMigrationReport {
  moved: { filename: string; workspaceId: string; datasourceIds: string[] }[];
  leftInPlace: { filename: string; datasourceIds: string[]; reason: string }[];
}

/** Files that travel with a SQLite database (WAL and rollback journal: SQLite docs, "Temporary Files"). */
const COMPANIONS = ['-wal', '-journal'];
/** A top-level folder named like this is a workspace's folder, never a legacy file's place. */
const WORKSPACE_FOLDER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/**
 * Moves the files of SQLite datasources created before per-workspace folders from the shared
 * `root` into `<root>/<workspace id>/<filename>`. Rules (datasources/README.md):
 * - A file named by datasources of one workspace only is moved (rename, so it is atomic), its
 *   `-wal` and `-journal` first and the database last, so a pass stopped half-way leaves a
 *   state the next pass completes; a stale `-shm` is removed after.
 * - A file named by several workspaces is left where it is, unowned, and logged: who owns it
 *   cannot be known, and a copy for each would hand one workspace the other's data (the very
 *   attack this layout stops). The operator moves it into the right workspace's folder.
 * - Also left and logged: symlinks (the link, a folder on the way, or what it points at), names
 *   the new rules refuse, files already at the target, the metadata database, anything outside
 *   `root` or already inside a workspace's folder.
 * Re-runnable: a moved file is gone from `root`, so the next pass skips it.
 * @param forbidden real paths that are never moved (the metadata database and its journals).
 */
export async function migrateSqliteFolders(
  root: string,
  rows: SqliteDatasourceRow[],
  forbidden: string[],
): Promise<SqliteFolderMigrationReport> {
  const report: SqliteFolderMigrationReport = { moved: [], leftInPlace: [] };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return report; // no folder: nothing was ever stored in it
  }
  // Group by the real file, so two names of one file count as one file.
  const files = new Map<string, { filename: string; rows: SqliteDatasourceRow[] }>();
  for (const row of rows) {
    if (typeof row.filename !== 'string') continue;
    const lexical = resolve(realRoot, row.filename);
    if (!lexical.startsWith(realRoot + sep)) continue;
    if (WORKSPACE_FOLDER.test(relative(realRoot, lexical).split(sep)[0])) continue;
    const real = await realpath(lexical).catch(() => null);
    if (real === null) continue; // moved by an earlier pass, or never there
    const entry = files.get(real) ?? { filename: row.filename, rows: [] };
    entry.rows.push(row);
    files.set(real, entry);
  }
  for (const [real, { filename, rows: named }] of files) {
    const ids = named.map((r) => r.id).sort();
    const leave = (reason: string) =>
      report.leftInPlace.push({ filename, datasourceIds: ids, reason });
    const owners = [...new Set(named.map((r) => r.workspaceId))];
    const source = resolve(realRoot, filename);
    if (!real.startsWith(realRoot + sep) || forbidden.includes(real)) {
      leave('outside the SQLite folder');
    } else if (real !== source) {
      leave('a symlink (the name, a folder on the way, or its target): move it by hand');
    } else if (!(await stat(real)).isFile()) {
      leave('not a regular file');
    } else if (!ZSqliteFilename.safeParse(filename).success) {
      leave('the name is no longer accepted: rename the file and the datasource');
    } else if (owners.length > 1) {
      leave(`named by ${owners.length} workspaces: owner unknown, left unowned`);
    } else {
      const target = join(realRoot, owners[0], filename);
      if (await exists(target)) {
        leave("a file of that name is already in the workspace's folder");
        continue;
      }
      try {
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        for (const suffix of COMPANIONS) {
          await rename(source + suffix, target + suffix).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
          });
        }
        await rename(source, target);
        await unlink(`${source}-shm`).catch(() => undefined);
        report.moved.push({ filename, workspaceId: owners[0], datasourceIds: ids });
      } catch (error) {
        // ENOENT: another replica moved it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          leave(`could not be moved (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
  }
  return report;
}

/**
 * Runs {@link migrateSqliteFolders} at every boot, before the server answers requests, and logs
 * what it moved and what it left for the operator (relative names and datasource ids only).
 */
@Injectable()
export class SqliteFolderMigrationService implements OnModuleInit {
  private readonly logger = new Logger('Datasources');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: DatasourceRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.run();
  }

  /** One pass; see {@link migrateSqliteFolders}. */
  async run(): Promise<SqliteFolderMigrationReport> {
    const rows = await this.repo.sqliteFilenamesOfAllWorkspaces();
    const metadata = join(this.config.dataDir, SQLITE_FILE_NAME);
    const forbidden = await Promise.all(
      ['', '-wal', '-shm', '-journal'].map((s) =>
        realpath(metadata + s).catch(() => resolve(metadata + s)),
      ),
    );
    const report = await migrateSqliteFolders(this.config.datasources.sqliteDir, rows, forbidden);
    for (const m of report.moved) {
      this.logger.log(
        `SQLite datasource file "${m.filename}" moved into the folder of workspace ${m.workspaceId} (datasources ${m.datasourceIds.join(', ')})`,
      );
    }
    for (const l of report.leftInPlace) {
      this.logger.warn(
        `SQLite datasource file "${l.filename}" left in the shared folder: ${l.reason} (datasources ${l.datasourceIds.join(', ')} cannot open it until an operator moves it into a workspace's folder)`,
      );
    }
    return report;
  }
}
