import type { TApp, TAppRevision, TAuditEventPage, TSavedQuery } from '@bastion/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppRevisionEntity } from '../../src/apps/app-revision.entity';
import { AuditService } from '../../src/audit/audit.service';
import { AppRevisionService, REVISION_COALESCE_MS } from '../../src/apps/app-revision.service';
import {
  addMember,
  call,
  otherWorkspace,
  setupOrReuse,
  TestSession,
} from '../harness/auth-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import { createDatasourceFor, createRestDatasource } from '../harness/query-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

const text = (id: string, value: string, x = 0) => ({
  id,
  type: 'text',
  layout: { x, y: 0, w: 4, h: 1 },
  props: { value },
});
const definition = (...components: ReturnType<typeof text>[]) => ({
  pages: [{ id: 'page1', name: 'Main', components }],
});
const DAY_MS = 86_400_000;

/**
 * Issue 16 items 1 and 2: optimistic concurrency (ETag / If-Match, 428, 409 with
 * currentVersion) on apps, saved queries and datasources, and the app version history.
 */
describe.each<MetadataStore>(['sqlite', 'postgres'])('app versions (%s store)', (store) => {
  let t: TestApp;
  let sqliteDir: string;
  let db: EngineDb;
  let admin: TestSession & { workspaceId: string };
  let editor: TestSession;
  let editor2: TestSession;
  let outsider: TestSession & { workspaceId: string };
  let wid: string;
  let dsId: string;
  const none = { 'if-match': '' };
  const ifMatch = (v: number | string) => ({ 'if-match': `"${v}"` });
  const appUrl = (id: string) => `/api/workspaces/${wid}/apps/${id}`;

  beforeAll(async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'bastion-versions-sqlite-'));
    t = await createTestApp({ store, env: { SQLITE_DATASOURCE_DIR: sqliteDir } });
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
    editor = await addMember(t, admin, wid, 'editor');
    editor2 = await addMember(t, admin, wid, 'editor');
    outsider = await otherWorkspace(t);
    db = await createEngineDb('sqlite', 1, join(sqliteDir, wid));
    dsId = await createDatasourceFor(t, admin, wid, db);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await db?.close();
    rmSync(sqliteDir, { recursive: true, force: true });
  });

  async function newApp(name = 'Versioned'): Promise<TApp> {
    const res = await call(t, editor, 'POST', `/api/workspaces/${wid}/apps`, {
      name,
      definition: definition(text('text1', 'a')),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    return res.json<TApp>();
  }

  async function revisions(appId: string, session = editor, query = ''): Promise<TAppRevision[]> {
    const res = await call(t, session, 'GET', `${appUrl(appId)}/revisions${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TAppRevision[]>();
  }

  /** Moves every revision of the app `ms` into the past. */
  async function age(appId: string, ms: number): Promise<void> {
    await t.app
      .get(DataSource)
      .getRepository(AppRevisionEntity)
      .update({ appId }, { createdAt: new Date(Date.now() - ms) });
  }

  async function saveQuery(appId: string, name: string, sql: string): Promise<TSavedQuery> {
    const res = await call(t, editor, 'POST', `${appUrl(appId)}/queries`, {
      name,
      datasourceId: dsId,
      body: { sql },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<TSavedQuery>();
  }

  it('apps: version and ETag on reads; PATCH needs If-Match (428), stale is 409 with currentVersion', async () => {
    const app = await newApp();
    expect(app.version).toBe(1);
    const read = await call(t, editor, 'GET', appUrl(app.id));
    expect(read.headers.etag).toBe('"1"');
    expect(read.json<TApp>().version).toBe(1);

    const missing = await call(t, editor, 'PATCH', appUrl(app.id), { name: 'x' }, none);
    expect(missing.statusCode).toBe(428);
    expect(missing.json()).toMatchObject({ statusCode: 428, error: 'Precondition Required' });
    expect(missing.json<{ message: string }>().message).toMatch(/If-Match/);

    const malformed = await call(t, editor, 'PATCH', appUrl(app.id), { name: 'x' }, ifMatch('a'));
    expect(malformed.statusCode).toBe(400);

    const ok = await call(t, editor, 'PATCH', appUrl(app.id), { name: 'Two' }, ifMatch(1));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<TApp>().version).toBe(2);
    expect(ok.headers.etag).toBe('"2"');

    const stale = await call(t, editor2, 'PATCH', appUrl(app.id), { name: 'Mine' }, ifMatch(1));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      currentVersion: 2,
    });
    expect(stale.json<{ message: string }>().message).toMatch(/changed elsewhere/);
    // "Keep mine": re-sent with the current version, it wins as a new version.
    const weak = { 'if-match': 'W/"2"' };
    const mine = await call(t, editor2, 'PATCH', appUrl(app.id), { name: 'Mine' }, weak);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json<TApp>()).toMatchObject({ name: 'Mine', version: 3 });

    // DELETE and publish take an optional If-Match: stale is 409, none is allowed.
    expect(
      (await call(t, editor, 'POST', `${appUrl(app.id)}/publish`, undefined, ifMatch(1)))
        .statusCode,
    ).toBe(409);
    expect(
      (await call(t, editor, 'DELETE', appUrl(app.id), undefined, ifMatch(2))).statusCode,
    ).toBe(409);
    expect(
      (await call(t, editor, 'DELETE', appUrl(app.id), undefined, ifMatch(3))).statusCode,
    ).toBe(204);
  });

  it('two concurrent PATCHes from one version: one 200, one 409 (repeated)', async () => {
    for (let round = 0; round < 5; round++) {
      const app = await newApp(`Race ${round}`);
      const answers = await Promise.all(
        [editor, editor2].map((s, i) =>
          call(
            t,
            s,
            'PATCH',
            appUrl(app.id),
            { definition: definition(text('text1', `from ${i}`)) },
            ifMatch(1),
          ),
        ),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const loser = answers.find((r) => r.statusCode === 409)!;
      expect(loser.json<{ currentVersion: number }>().currentVersion).toBe(2);
      const read = await call(t, editor, 'GET', appUrl(app.id));
      expect(read.json<TApp>().version).toBe(2);
    }
  });

  it('a save and a delete from one version never both succeed (apps, datasources)', async () => {
    // Breaking session: on PostgreSQL both answered success in 30 of 40 tries (the delete
    // compared the version it had read, then deleted without a condition).
    for (let round = 0; round < 8; round++) {
      const app = await newApp(`Delete race ${round}`);
      const [save, del] = await Promise.all([
        call(t, editor, 'PATCH', appUrl(app.id), { name: `Saved ${round}` }, ifMatch(1)),
        call(t, editor2, 'DELETE', appUrl(app.id), undefined, ifMatch(1)),
      ]);
      const outcome = `${save.statusCode}/${del.statusCode}`;
      expect(['200/409', '404/204', '409/204']).toContain(outcome);
      const id = await createRestDatasource(t, admin, wid, 'https://api.example.test', 'Tok-1');
      const url = `/api/workspaces/${wid}/datasources/${id}`;
      const [dsSave, dsDel] = await Promise.all([
        call(t, admin, 'PATCH', url, { name: `dsr-${id.slice(0, 8)}` }, ifMatch(1)),
        call(t, admin, 'DELETE', url, undefined, ifMatch(1)),
      ]);
      expect(['200/409', '404/204', '409/204']).toContain(
        `${dsSave.statusCode}/${dsDel.statusCode}`,
      );
    }
  });

  it('saved queries: version, ETag, 428, 409; concurrent PATCHes give one 200 and one 409', async () => {
    const app = await newApp();
    const q = await saveQuery(app.id, 'people', 'select 1');
    expect(q.version).toBe(1);
    const url = `${appUrl(app.id)}/queries/${q.id}`;
    const read = await call(t, editor, 'GET', url);
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toBe('"1"');
    expect(
      (await call(t, editor, 'PATCH', url, { body: { sql: 'select 2' } }, none)).statusCode,
    ).toBe(428);
    const ok = await call(t, editor, 'PATCH', url, { body: { sql: 'select 2' } }, ifMatch(1));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<TSavedQuery>().version).toBe(2);
    expect(ok.headers.etag).toBe('"2"');
    const stale = await call(t, editor2, 'PATCH', url, { body: { sql: 'select 3' } }, ifMatch(1));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: 'Conflict', currentVersion: 2 });

    const race = await Promise.all(
      ['select 4', 'select 5'].map((sql, i) =>
        call(t, i ? editor2 : editor, 'PATCH', url, { body: { sql } }, ifMatch(2)),
      ),
    );
    expect(race.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect((await call(t, editor, 'DELETE', url, undefined, ifMatch(2))).statusCode).toBe(409);
    expect((await call(t, editor, 'DELETE', url, undefined, ifMatch(3))).statusCode).toBe(204);
  });

  it('datasources: version and ETag, 428 without If-Match, 409 with currentVersion, concurrent race', async () => {
    const id = await createRestDatasource(t, admin, wid, 'https://api.example.test', 'Tok-1');
    const url = `/api/workspaces/${wid}/datasources/${id}`;
    const read = await call(t, admin, 'GET', url);
    expect(read.headers.etag).toBe('"1"');
    const missing = await call(t, admin, 'PATCH', url, { name: 'renamed-x' }, none);
    expect(missing.statusCode).toBe(428);
    expect(missing.json()).toMatchObject({ error: 'Precondition Required' });
    const ok = await call(t, admin, 'PATCH', url, { name: `r-${id.slice(0, 6)}` }, ifMatch(1));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<{ version: number }>().version).toBe(2);
    expect(ok.headers.etag).toBe('"2"');
    const stale = await call(t, admin, 'PATCH', url, { name: 'stale-one' }, ifMatch(1));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: 'Conflict', currentVersion: 2 });
    const race = await Promise.all(
      ['a', 'b'].map((s) =>
        call(t, admin, 'PATCH', url, { name: `race-${s}-${id.slice(0, 6)}` }, ifMatch(2)),
      ),
    );
    expect(race.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    // Another workspace's datasource is 404 whatever the headers (no 428 that confirms it exists).
    const foreign = `/api/workspaces/${outsider.workspaceId}/datasources/${id}`;
    expect((await call(t, outsider, 'PATCH', foreign, { name: 'x' }, none)).statusCode).toBe(404);
  });

  it('revisions: every save keeps one (coalesced per author), newest first, with summaries', async () => {
    const app = await newApp('History');
    let list = await revisions(app.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ version: 1, published: false, authorId: editor.userId });
    expect(list[0].authorEmail).toBe(editor.email);
    expect(list[0].summary.components.added).toEqual(['text1']);

    // Another author's save starts a new revision; the same author's next save within the
    // coalescing window updates it.
    let v = app.version;
    const patch = async (s: TestSession, def: unknown) => {
      const r = await call(t, s, 'PATCH', appUrl(app.id), { definition: def }, ifMatch(v));
      expect(r.statusCode, r.body).toBe(200);
      v = r.json<TApp>().version;
    };
    await patch(editor2, definition(text('text1', 'b'), text('text2', 'new')));
    await patch(editor2, definition(text('text1', 'b'), text('text2', 'new'), text('text3', 'c')));
    list = await revisions(app.id);
    expect(list.map((r) => r.version)).toEqual([2, 1]);
    expect(list[0]).toMatchObject({ authorId: editor2.userId, appVersion: 3 });
    expect(list[0].summary.components).toEqual({
      added: ['text2', 'text3'],
      removed: [],
      changed: ['text1'],
    });

    // Query saves belong to the app: a new author makes a new revision naming the query.
    const q = await saveQuery(app.id, 'orders', 'select 1');
    list = await revisions(app.id);
    expect(list[0]).toMatchObject({ version: 3, authorId: editor.userId });
    expect(list[0].summary.queries.added).toEqual(['orders']);

    // Pagination: before= a number, limit.
    const page = await revisions(app.id, editor, '?before=3&limit=1');
    expect(page.map((r) => r.version)).toEqual([2]);
    expect((await call(t, editor, 'GET', `${appUrl(app.id)}/revisions?limit=0`)).statusCode).toBe(
      400,
    );

    // Publish marks the newest revision; the draft then equals the published copy.
    expect((await call(t, editor, 'POST', `${appUrl(app.id)}/publish`)).statusCode).toBe(200);
    list = await revisions(app.id);
    expect(list[0]).toMatchObject({ version: 3, published: true });
    expect(
      (await call(t, editor, 'GET', appUrl(app.id))).json<TApp>().unpublishedChanges,
    ).toBeNull();

    // A save after publishing starts a new revision and shows as unpublished changes.
    const qUrl = `${appUrl(app.id)}/queries/${q.id}`;
    const edited = await call(t, editor, 'PATCH', qUrl, { body: { sql: 'select 2' } }, ifMatch(1));
    expect(edited.statusCode, edited.body).toBe(200);
    list = await revisions(app.id);
    expect(list[0]).toMatchObject({ version: 4, published: false });
    expect(list[0].summary.queries.changed).toEqual(['orders']);
    const draft = (await call(t, editor, 'GET', appUrl(app.id))).json<TApp>();
    expect(draft.unpublishedChanges?.summary.queries.changed).toEqual(['orders']);
    expect(draft.unpublishedChanges?.summary.components).toEqual({
      added: [],
      removed: [],
      changed: [],
    });
  });

  it('restore brings back definition and queries as a new revision, audited by id', async () => {
    const app = await newApp('Restore');
    const q = await saveQuery(app.id, 'people', 'select 1');
    const first = (await revisions(app.id))[0];
    let v = (await call(t, editor, 'GET', appUrl(app.id))).json<TApp>().version;
    const changed = await call(
      t,
      editor2,
      'PATCH',
      appUrl(app.id),
      { definition: definition(text('text9', 'other')) },
      ifMatch(v),
    );
    v = changed.json<TApp>().version;
    expect((await call(t, editor2, 'DELETE', `${appUrl(app.id)}/queries/${q.id}`)).statusCode).toBe(
      204,
    );
    await saveQuery(app.id, 'other', 'select 9');

    const stale = await call(
      t,
      editor,
      'POST',
      `${appUrl(app.id)}/revisions/${first.id}/restore`,
      undefined,
      ifMatch(v - 1),
    );
    expect(stale.statusCode).toBe(409);
    const restored = await call(
      t,
      editor,
      'POST',
      `${appUrl(app.id)}/revisions/${first.id}/restore`,
    );
    expect(restored.statusCode, restored.body).toBe(200);
    const body = restored.json<TApp>();
    expect(body.version).toBe(v + 1);
    expect(restored.headers.etag).toBe(`"${v + 1}"`);
    expect(body.definition).toEqual(definition(text('text1', 'a')));
    expect(body.queries.map((x) => [x.id, x.name, x.body])).toEqual([
      [q.id, 'people', { sql: 'select 1' }],
    ]);
    // The query came back after a delete: a tab that still holds its version 1 must get a 409,
    // not overwrite the restored text (breaking session: it started again at version 1).
    const back = body.queries[0].version;
    expect(back).toBeGreaterThan(1_000);
    const qUrl = `${appUrl(app.id)}/queries/${q.id}`;
    const staleTab = await call(t, editor, 'PATCH', qUrl, { body: { sql: 'x' } }, ifMatch(1));
    expect(staleTab.statusCode).toBe(409);
    expect(staleTab.json()).toMatchObject({ currentVersion: back });
    const list = await revisions(app.id);
    expect(list[0]).toMatchObject({ restoredFrom: first.version, version: list[1].version + 1 });
    expect(list[0].summary.components).toMatchObject({ added: ['text1'], removed: ['text9'] });
    expect(list[0].summary.queries).toMatchObject({ added: ['people'], removed: ['other'] });

    await t.app.get(AuditService).flush();
    const audit = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${wid}/audit-events?action=app.revision_restored&limit=50`,
    );
    const entry = audit.json<TAuditEventPage>().items.find((e) => e.target?.id === app.id);
    expect(entry?.details).toMatchObject({
      restoredRevisionId: first.id,
      revisionId: list[0].id,
      revision: list[0].version,
    });
    const updates = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${wid}/audit-events?action=app.updated&limit=50`,
    );
    const updated = updates.json<TAuditEventPage>().items.find((e) => e.target?.id === app.id);
    expect(updated?.details).toMatchObject({ revisionId: expect.any(String), revision: 2 });
    // Names the revision, never content: no definition text in the entry.
    expect(JSON.stringify(updated)).not.toContain('other');
  });

  it("another workspace's revision can never be listed or restored", async () => {
    const app = await newApp('Private');
    const rev = (await revisions(app.id))[0];
    const ow = `/api/workspaces/${outsider.workspaceId}/apps/${app.id}`;
    expect((await call(t, outsider, 'GET', `${ow}/revisions`)).statusCode).toBe(404);
    expect((await call(t, outsider, 'POST', `${ow}/revisions/${rev.id}/restore`)).statusCode).toBe(
      404,
    );
    // Their own app, our revision id: still 404.
    const theirs = await call(t, outsider, 'POST', `/api/workspaces/${outsider.workspaceId}/apps`, {
      name: 'Theirs',
    });
    const theirUrl = `/api/workspaces/${outsider.workspaceId}/apps/${theirs.json<TApp>().id}`;
    expect(
      (await call(t, outsider, 'POST', `${theirUrl}/revisions/${rev.id}/restore`)).statusCode,
    ).toBe(404);
    // A viewer may not read history.
    const viewer = await addMember(t, admin, wid, 'viewer');
    expect((await call(t, viewer, 'GET', `${appUrl(app.id)}/revisions`)).statusCode).toBe(403);
  });

  it('retention: unpublished revisions older than the window are pruned; published ones stay', async () => {
    const app = await newApp('Retention');
    let v = app.version;
    const save = async (s: TestSession, value: string) => {
      const r = await call(
        t,
        s,
        'PATCH',
        appUrl(app.id),
        { definition: definition(text('text1', value)) },
        ifMatch(v),
      );
      expect(r.statusCode, r.body).toBe(200);
      v = r.json<TApp>().version;
    };
    await save(editor2, 'b'); // revision 2
    expect((await call(t, editor, 'POST', `${appUrl(app.id)}/publish`)).statusCode).toBe(200);
    await save(editor, 'c'); // revision 3
    // Age every revision of this app by 31 days (the default window is 30).
    await age(app.id, 31 * DAY_MS);
    await save(editor2, 'd'); // revision 4: prunes 1 and 3, keeps published 2
    expect((await revisions(app.id)).map((r) => [r.version, r.published])).toEqual([
      [4, false],
      [2, true],
    ]);
  });

  it('the operator prune (apps prune-revisions) removes old revisions of apps nobody edits', async () => {
    const idle = await newApp('Idle');
    const r = await call(
      t,
      editor2,
      'PATCH',
      appUrl(idle.id),
      { definition: definition(text('text1', 'z')) },
      ifMatch(idle.version),
    );
    expect(r.statusCode, r.body).toBe(200);
    expect((await revisions(idle.id)).map((x) => x.version)).toEqual([2, 1]);
    await age(idle.id, 31 * DAY_MS);
    expect(await t.app.get(AppRevisionService).pruneExpired()).toBeGreaterThanOrEqual(1);
    // The newest stays (the base of the next summary); the older one is gone.
    expect((await revisions(idle.id)).map((x) => x.version)).toEqual([2]);
  });

  it('coalescing ends after the window: the same author gets a new revision', async () => {
    const app = await newApp('Window');
    const patch = (value: string, v: number) =>
      call(
        t,
        editor,
        'PATCH',
        appUrl(app.id),
        { definition: definition(text('text1', value)) },
        ifMatch(v),
      );
    expect((await patch('soon', app.version)).statusCode).toBe(200);
    expect((await revisions(app.id)).map((r) => r.version)).toEqual([1]);
    // 3x the window ago (no clock race: the revision's own time is moved back).
    await age(app.id, REVISION_COALESCE_MS * 3);
    expect((await patch('later', app.version + 1)).statusCode).toBe(200);
    expect((await revisions(app.id)).map((r) => r.version)).toEqual([2, 1]);
  });
});
