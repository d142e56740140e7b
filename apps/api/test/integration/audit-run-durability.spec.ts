import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrReuse } from '../harness/auth-fixtures';
import { createEngineDb } from '../harness/query-engines';
import { createDatasourceFor, createPublishedQuery, runQuery } from '../harness/query-fixtures';
import { createTestApp } from '../harness/test-app';

/**
 * "No answered run without its audit entry" (audit README, Durability), in one process: the
 * entry is stored when the answer arrives (no flush), and a run whose entry cannot be stored
 * answers 503 `metadata_store_unavailable` without its rows. The kill -9 variant is
 * test/reliability/audit-kill.spec.ts.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('a run answers only after its audit entry is committed', () => {
  it('has its entry stored by the time it answers; answers 503 without rows when the entry cannot be stored', async () => {
    const sqliteDir = mkdtempSync(join(tmpdir(), 'bastion-durable-ds-'));
    cleanups.push(() => rmSync(sqliteDir, { recursive: true, force: true }));
    const t = await createTestApp({ env: { SQLITE_DATASOURCE_DIR: sqliteDir } });
    cleanups.push(() => t.close());
    const admin = await setupOrReuse(t);
    const wid = admin.workspaceId;
    const lite = await createEngineDb('sqlite', 1, join(sqliteDir, wid));
    cleanups.push(() => lite.close());
    await lite.pool.raw('CREATE TABLE t (v TEXT)');
    await lite.pool.raw("INSERT INTO t VALUES ('durable-row')");
    const dsId = await createDatasourceFor(t, admin, wid, lite);
    const { appId, queryId } = await createPublishedQuery(t, admin, wid, dsId, {
      sql: 'SELECT v FROM t',
    });
    const db = t.app.get(DataSource);
    const entryOf = async (correlationId: string) =>
      await db.query(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'query.run' AND correlation_id = ?",
        [correlationId],
      );

    const ok = await runQuery(t, admin, wid, appId, queryId);
    expect(ok.statusCode, ok.body).toBe(200);
    // Read at once, no flush: the entry was committed before the answer.
    expect((await entryOf(String(ok.headers['x-correlation-id'])))[0].n).toBe(1);

    // The audit write fails (the chain head is gone): the run is not answered with its rows.
    const head = await db.query('SELECT * FROM audit_chain_head');
    await db.query('DELETE FROM audit_chain_head');
    const refused = await runQuery(t, admin, wid, appId, queryId);
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.body).not.toContain('durable-row');
    expect(refused.json<{ message: string }>().message).toMatch(
      /audit log entry cannot be written/,
    );
    expect((await entryOf(String(refused.headers['x-correlation-id'])))[0].n).toBe(0);

    await db.query('INSERT INTO audit_chain_head (id, last_sequence, last_hash) VALUES (?, ?, ?)', [
      head[0].id,
      head[0].last_sequence,
      head[0].last_hash,
    ]);
    const again = await runQuery(t, admin, wid, appId, queryId);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.body).toContain('durable-row');
    // The refused run's entry was kept and is written, with the 503's outcome, once the store
    // accepts appends again (the buffer retries every flush interval, 500 ms).
    const refusedId = String(refused.headers['x-correlation-id']);
    const deadline = Date.now() + 10_000;
    while ((await entryOf(refusedId))[0].n === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await db.query(
      "SELECT details FROM audit_events WHERE action = 'query.run' AND correlation_id = ?",
      [refusedId],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].details)).toMatchObject({ outcome: 'metadata_store_unavailable' });
  });
});
