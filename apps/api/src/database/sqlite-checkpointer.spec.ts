import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../../test/harness/timing';
import { SQLITE_FALLBACK_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from './sqlite-checkpointer';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A real WAL database configured as the metadata store's (data-source-options.ts). */
function openWal(): { db: Database.Database; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-ckpt-'));
  const file = join(dir, 'metadata.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${SQLITE_FALLBACK_AUTOCHECKPOINT_PAGES}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}

/** ~500 pages of committed rows, one commit each (as group commits of single entries). */
function writeCommits(db: Database.Database): void {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  for (let i = 0; i < 500; i++) db.transaction(() => insert.run('x'.repeat(4000))).immediate();
}

describe('SqliteCheckpointer (real SQLite, worker thread)', () => {
  it('copies committed WAL pages into the database file while the main connection does not', async () => {
    const { db, file } = openWal();
    const checkpointer = new SqliteCheckpointer(file, require.resolve('better-sqlite3'), 50);
    cleanups.unshift(() => checkpointer.stop());
    writeCommits(db);
    // ~2 MB committed: only a checkpoint moves it from the WAL into the main file (the
    // fallback threshold, 10,000 pages, is not reached by the main connection).
    await pollUntil('WAL checkpointed by the worker', () => statSync(file).size > 1_500_000, true, {
      timeoutMs: 10_000,
    });
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 500 });
  });

  it('without it the main connection leaves the WAL unmerged (what the test above relies on)', () => {
    const { db, file } = openWal();
    writeCommits(db);
    expect(statSync(file).size).toBeLessThan(100_000);
  });

  it('stops: its connection closes and stop() resolves, also twice', async () => {
    const { file } = openWal();
    const checkpointer = new SqliteCheckpointer(file, require.resolve('better-sqlite3'), 50);
    await checkpointer.stop();
    await checkpointer.stop();
  });
});
