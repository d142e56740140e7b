import Database from 'better-sqlite3';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp as createApiApp } from '../../src/app.factory';
import { SqliteFolderMigrationService } from '../../src/datasources/sqlite-folder-migration';
import { call, otherWorkspace, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createDatasource } from '../harness/datasource-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';

type Admin = TestSession & { workspaceId: string };

/** A database whose last rows are still in its WAL: the copy is taken while it is open. */
function legacyWalDb(file: string, rows: string[]): void {
  const scratch = mkdtempSync(join(tmpdir(), 'bastion-wal-'));
  const db = new Database(join(scratch, 'w.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (x TEXT)');
  for (const r of rows) db.prepare('INSERT INTO t VALUES (?)').run(r);
  copyFileSync(join(scratch, 'w.db'), file);
  copyFileSync(join(scratch, 'w.db-wal'), `${file}-wal`);
  db.close();
  rmSync(scratch, { recursive: true, force: true });
}

function plainDb(file: string, value: string): void {
  const db = new Database(file);
  db.exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('${value}')`);
  db.close();
}

/**
 * Datasources saved before per-workspace folders named files in the shared folder. At boot
 * each file named by one workspace moves into that workspace's folder (with its WAL); a file
 * named by two workspaces stays unowned; the pass is idempotent and completes a pass that
 * stopped half-way (datasources/README.md).
 */
describe('SQLite files of existing datasources move into their workspace folder at boot', () => {
  let t: TestApp;
  let root: string;
  let a: Admin;
  let b: Admin;
  const ids: Record<string, string> = {};
  const logs: string[] = [];
  const boot = async (): Promise<NestFastifyApplication> =>
    createApiApp(t.config, {
      logStream: new Writable({
        write: (chunk: Buffer, _e, cb) => {
          logs.push(chunk.toString('utf8'));
          cb();
        },
      }),
    });
  const preview = (who: Admin, id: string) =>
    call(t, who, 'POST', `/api/workspaces/${who.workspaceId}/datasources/${id}/preview`, {
      query: { sql: 'SELECT x FROM t ORDER BY x' },
      params: {},
    });

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'bastion-legacy-sqlite-')));
    // PostgreSQL metadata: a second app on the same store is a fresh boot of the same instance.
    t = await createTestApp({ store: 'postgres', env: { SQLITE_DATASOURCE_DIR: root } });
    a = await setupOrReuse(t);
    b = await otherWorkspace(t);
    const make = async (who: Admin, key: string, filename: string) => {
      ids[key] = (
        await createDatasource(t, who, { name: key, type: 'sqlite', config: { filename } })
      ).id;
    };
    await make(a, 'aOwn', 'legacy-a.db');
    await make(a, 'aShared', 'shared.db');
    await make(b, 'bShared', 'shared.db');
    await make(b, 'bNested', 'sub/nested.db');
    await make(a, 'aLink', 'link.db');
    await make(b, 'bHalf', 'half.db');
    // The files, where the old layout kept them: all in the shared folder.
    legacyWalDb(join(root, 'legacy-a.db'), ['one', 'two', 'three']);
    plainDb(join(root, 'shared.db'), 'whose?');
    mkdirSync(join(root, 'sub'));
    plainDb(join(root, 'sub', 'nested.db'), 'nested');
    plainDb(join(root, 'target.db'), 'target');
    symlinkSync(join(root, 'target.db'), join(root, 'link.db'));
    // A pass that stopped half-way: the WAL already moved, the database not yet.
    legacyWalDb(join(root, 'half.db'), ['h1', 'h2']);
    mkdirSync(join(root, b.workspaceId), { mode: 0o700 });
    renameSync(join(root, 'half.db-wal'), join(root, b.workspaceId, 'half.db-wal'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('moves single-owner files with their WAL, leaves shared and symlinked ones, logs both', async () => {
    const second = await boot();
    await second.close();
    // A's own file, with the rows that were only in its WAL
    expect(existsSync(join(root, 'legacy-a.db'))).toBe(false);
    expect(existsSync(join(root, 'legacy-a.db-wal'))).toBe(false);
    expect(statSync(join(root, a.workspaceId)).mode & 0o777).toBe(0o700);
    expect((await preview(a, ids.aOwn)).json()).toMatchObject({
      rows: [{ x: 'one' }, { x: 'three' }, { x: 'two' }],
    });
    expect((await preview(b, ids.bNested)).json()).toMatchObject({ rows: [{ x: 'nested' }] });
    expect((await preview(b, ids.bHalf)).json()).toMatchObject({
      rows: [{ x: 'h1' }, { x: 'h2' }],
    });
    // Shared by A and B: owner unknown, stays in the shared folder, neither reads it.
    expect(existsSync(join(root, 'shared.db'))).toBe(true);
    for (const [who, id] of [
      [a, ids.aShared],
      [b, ids.bShared],
    ] as const) {
      const res = await preview(who, id);
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatch(/no such file/);
      expect(res.body).not.toContain('whose?');
      expect(res.body).not.toContain(root);
    }
    expect(existsSync(join(root, 'link.db'))).toBe(true);
    const text = logs
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
      .join('\n');
    expect(text).toMatch(/"legacy-a\.db" moved into the folder of workspace/);
    expect(text).toMatch(/"shared\.db" left in the shared folder: named by 2 workspaces/);
    expect(text).toMatch(/"link\.db" left in the shared folder: a symlink/);
    expect(text).not.toContain(root);
  });

  it('is idempotent: a second boot moves nothing and changes nothing', async () => {
    const before = readdirSync(root).sort();
    const report = await t.app.get(SqliteFolderMigrationService).run();
    expect(report.moved).toEqual([]);
    expect(report.leftInPlace.map((l) => l.filename).sort()).toEqual(['link.db', 'shared.db']);
    expect(readdirSync(root).sort()).toEqual(before);
    expect((await preview(a, ids.aOwn)).json()).toMatchObject({
      rows: [{ x: 'one' }, { x: 'three' }, { x: 'two' }],
    });
  });
});
