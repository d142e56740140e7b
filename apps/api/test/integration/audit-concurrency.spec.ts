import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory';
import { AuditEventEntity } from '../../src/audit/audit-event.entity';
import { AuditVerifyService } from '../../src/audit/audit-verify.service';
import { AuditService } from '../../src/audit/audit.service';
import { addMember, setupOrReuse } from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';
import { expectWithin } from '../harness/timing';

/** A second API instance on the same metadata store: another replica behind the balancer. */
async function replica(t: TestApp): Promise<NestFastifyApplication> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return createApp(t.config, { logStream: sink });
}

describe('audit chain under concurrency (two replicas on one PostgreSQL)', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  beforeAll(async () => {
    t = await createTestApp({
      store: 'postgres',
      env: { LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_ADDRESS: '10000' },
    });
    second = await replica(t);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it('50 parallel logins across two replicas: 50 entries, one unforked chain', async () => {
    const admin = await setupOrReuse(t);
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const repo = t.app.get(DataSource).getRepository(AuditEventEntity);
    const before = await repo.countBy({ action: 'auth.login' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? t.app : second).inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email: member.email, password: member.password },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    expect(await repo.countBy({ action: 'auth.login' })).toBe(before + 50);
    const v = await t.app.get(AuditVerifyService).verify();
    expect(v).toMatchObject({ ok: true, firstBroken: null });
  });

  it('400 direct appends racing on both replicas keep sequences gapless and hashes linked', async () => {
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        (i % 2 === 0 ? t.app : second).get(AuditService).record({
          action: 'workspace.settings_changed',
          actor: null,
          workspaceId: null,
          meta: { ip: '127.0.0.1', userAgent: 'race', correlationId: `race-${i}` },
          details: { i },
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const rows = await t.app
      .get(DataSource)
      .getRepository(AuditEventEntity)
      .find({ order: { sequence: 'ASC' } });
    expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    expect(await second.get(AuditVerifyService).verify()).toMatchObject({ ok: true });
    // Generous bound; group commit makes this ~0.3 s here.
    expectWithin('400 racing appends on two replicas', elapsed, 30_000);
  });
});

describe.each<MetadataStore>(['sqlite', 'postgres'])(
  'batched entries on shutdown (%s)',
  (store) => {
    let t: TestApp;
    let reopened: NestFastifyApplication | undefined;
    beforeAll(async () => {
      t = await createTestApp({ store });
    });
    afterAll(async () => {
      await reopened?.close();
      rmSync(t.dataDir, { recursive: true, force: true });
    });

    it('query-run entries still buffered at close are written, and the chain verifies', async () => {
      const admin = await setupOrReuse(t);
      const audit = t.app.get(AuditService);
      for (let i = 0; i < 150; i++) {
        await audit.record({
          action: 'query.run',
          actor: { userId: admin.userId, email: admin.email },
          workspaceId: admin.workspaceId,
          target: { type: 'query', id: `q-${i}` },
          meta: { ip: '127.0.0.1', userAgent: 'test', correlationId: `run-${i}` },
          details: { durationMs: 1, rowCount: i, truncated: false, outcome: 'ok' },
        });
      }
      await t.app.close();
      reopened = await replica(t);
      const repo = reopened.get(DataSource).getRepository(AuditEventEntity);
      expect(await repo.countBy({ action: 'query.run' })).toBe(150);
      const runs = await repo.find({ where: { action: 'query.run' }, order: { sequence: 'ASC' } });
      // Buffer order is kept: entries are chained in the order they were recorded.
      expect(runs.map((r) => r.correlationId)).toEqual(runs.map((_, i) => `run-${i}`));
      expect(await reopened.get(AuditVerifyService).verify()).toMatchObject({ ok: true });
    });
  },
);
