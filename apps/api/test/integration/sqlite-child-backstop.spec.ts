import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteExecutor } from '../../src/query-proxy/sqlite-executor';
import { createEngineDb, EngineDb } from '../harness/query-engines';

// The text check is switched off here, so what reaches the child is exactly what a gap in it
// would let through: the child's own check of the compiled program must still refuse it.
vi.mock('../../src/query-proxy/sqlite-statement-guard', () => ({
  checkSqliteStatement: (sql: string) => sql,
}));

/**
 * The SQLite child's program check (sqlite-child-source.ts) on its own: ATTACH, DETACH,
 * VACUUM INTO, load_extension() and pragma_database_list are refused from the compiled program
 * (EXPLAIN opcodes), PRAGMA database_list because its program holds the server path.
 */
describe('SQLite child refuses by the compiled program when the text check misses', () => {
  let dir: string;
  let db: EngineDb;
  let executor: SqliteExecutor;
  const limits = { timeoutMs: 10_000, maxRows: 100, maxBytes: 1_000_000 };
  const attempt = (sql: string) =>
    executor.run(db.pool, { text: sql, values: [], limits }).then(
      () => ({ status: 200, message: '' }),
      (e: { status: number; message: string }) => ({ status: e.status, message: e.message }),
    );
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'bastion-sqlite-backstop-')));
    db = await createEngineDb('sqlite', 1, join(dir, 'ws'));
    executor = new SqliteExecutor(dir);
    await db.pool.raw('CREATE TABLE t (x TEXT)');
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each<[string, RegExp]>([
    ["ATTACH 'OTHER' AS o", /ATTACH is not allowed/],
    ["attach database 'OTHER' as o", /ATTACH is not allowed/],
    ['DETACH main', /DETACH is not allowed/],
    ["VACUUM INTO 'COPY'", /VACUUM INTO is not allowed/],
    ["vacuum main into 'COPY'", /VACUUM INTO is not allowed/],
    ["SELECT load_extension('nothing')", /load_extension\(\) is not allowed/],
    ["select * from t where load_extension('nothing')", /load_extension\(\) is not allowed/],
    ['PRAGMA database_list', /would reveal a server path/],
    ['pragma main.database_list', /would reveal a server path/],
    ['SELECT hex(file) FROM pragma_database_list', /pragma_database_list is not allowed/],
    ['select * from main.pragma_database_list as d', /pragma_database_list is not allowed/],
  ])('%s: 400 from the child, no server path', async (template, reason) => {
    const sql = template
      .replace('OTHER', join(dir, 'other.db'))
      .replace('COPY', join(dir, 'ws', 'copy.db'));
    const r = await attempt(sql);
    expect(r.status, r.message).toBe(400);
    expect(r.message).toMatch(reason);
    expect(r.message).not.toContain(dir);
    expect(readdirSync(dir)).toEqual(['ws']);
    expect(readdirSync(join(dir, 'ws')).some((f) => f.startsWith('copy'))).toBe(false);
  });
});
