import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  otherWorkspace,
  setupOrReuse,
  TestSession,
} from '../harness/auth-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import {
  createApp,
  createDatasourceFor,
  createQuery,
  publish,
  runQuery,
} from '../harness/query-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

const definition = (queryId?: string) => ({
  pages: [
    {
      id: 'page1',
      name: 'Main',
      components: [
        {
          id: 'input1',
          type: 'textInput',
          layout: { x: 0, y: 0, w: 4, h: 1 },
          props: { label: 'Name' },
        },
        {
          id: 'table1',
          type: 'table',
          layout: { x: 0, y: 1, w: 12, h: 6 },
          props: { data: '{{ query1.data }}', striped: true, empty: null },
        },
        {
          id: 'button1',
          type: 'button',
          layout: { x: 4, y: 0, w: 2, h: 1 },
          props: { text: 'Search' },
          ...(queryId ? { events: [{ on: 'click', action: 'runQuery', queryId }] } : {}),
        },
      ],
    },
  ],
});

describe.each<MetadataStore>(['sqlite', 'postgres'])(
  'apps and saved queries (%s store)',
  (store) => {
    let t: TestApp;
    let sqliteDir: string;
    let db: EngineDb;
    let admin: TestSession & { workspaceId: string };
    let editor: TestSession;
    let viewer: TestSession;
    let outsider: TestSession & { workspaceId: string };
    let wid: string;
    let dsId: string;

    beforeAll(async () => {
      sqliteDir = mkdtempSync(join(tmpdir(), 'bastion-apps-sqlite-'));
      t = await createTestApp({ store, env: { SQLITE_DATASOURCE_DIR: sqliteDir } });
      admin = await setupOrReuse(t);
      wid = admin.workspaceId;
      editor = await addMember(t, admin, wid, 'editor');
      viewer = await addMember(t, admin, wid, 'viewer');
      outsider = await otherWorkspace(t);
      db = await createEngineDb('sqlite', 1, join(sqliteDir, wid));
      await db.pool.schema.createTable('people', (tb) => {
        tb.integer('id');
        tb.string('name');
      });
      await db.pool('people').insert([{ id: 1, name: 'alice' }]);
      dsId = await createDatasourceFor(t, admin, wid, db);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await db?.close();
      rmSync(sqliteDir, { recursive: true, force: true });
    });

    it('creates, reads, edits and lists apps with a validated definition', async () => {
      const created = await call(t, editor, 'POST', `/api/workspaces/${wid}/apps`, {
        name: 'Crm',
        definition: definition(),
      });
      expect(created.statusCode, created.body).toBe(201);
      const app = created.json();
      expect(app.definition).toEqual(definition());
      expect(app.publishedAt).toBeNull();
      const blank = await call(t, editor, 'POST', `/api/workspaces/${wid}/apps`, { name: 'Blank' });
      expect(blank.json().definition.pages).toHaveLength(1);
      const bad = await call(t, editor, 'POST', `/api/workspaces/${wid}/apps`, {
        name: 'Bad',
        definition: {
          pages: [
            {
              id: 'p',
              name: 'P',
              components: [
                { id: 'x', type: 'iframe', layout: { x: 0, y: 0, w: 1, h: 1 }, props: {} },
              ],
            },
          ],
        },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/pages\.0\.components\.0\.type/);
      const dup = definition();
      dup.pages[0].components[1].id = 'input1';
      const dupRes = await call(t, editor, 'PATCH', `/api/workspaces/${wid}/apps/${app.id}`, {
        definition: dup,
      });
      expect(dupRes.statusCode).toBe(400);
      expect(dupRes.json().message).toMatch(/duplicate component id/);
      const renamed = await call(t, editor, 'PATCH', `/api/workspaces/${wid}/apps/${app.id}`, {
        name: 'CRM',
      });
      expect(renamed.json().name).toBe('CRM');
      const list = await call(t, editor, 'GET', `/api/workspaces/${wid}/apps`);
      expect(list.json().map((a: { name: string }) => a.name)).toEqual(
        expect.arrayContaining(['CRM', 'Blank']),
      );
      // Viewers list published apps only.
      expect((await call(t, viewer, 'GET', `/api/workspaces/${wid}/apps`)).json()).toEqual([]);
    });

    it('validates saved queries: declared placeholders, body kind, unique names', async () => {
      const appId = await createApp(t, editor, wid, 'Checks');
      const base = `/api/workspaces/${wid}/apps/${appId}/queries`;
      const undeclared = await call(t, editor, 'POST', base, {
        name: 'q1',
        datasourceId: dsId,
        body: { sql: 'SELECT * FROM people WHERE id = {{ id }}' },
      });
      expect(undeclared.statusCode).toBe(400);
      expect(undeclared.json().message).toMatch(/declare the placeholders id/);
      const rest = await call(t, editor, 'POST', base, {
        name: 'q1',
        datasourceId: dsId,
        body: { method: 'GET', path: '/x' },
      });
      expect(rest.statusCode).toBe(400);
      const identifier = await call(t, editor, 'POST', base, {
        name: 'q1',
        datasourceId: dsId,
        body: { sql: 'SELECT * FROM "{{ table }}"' },
        params: [{ name: 'table', type: 'string' }],
      });
      expect(identifier.statusCode).toBe(400);
      expect(identifier.json().message).toMatch(/identifiers cannot be bound/);
      await createQuery(t, editor, wid, appId, {
        name: 'q1',
        datasourceId: dsId,
        body: { sql: 'SELECT 1' },
      });
      const again = await call(t, editor, 'POST', base, {
        name: 'q1',
        datasourceId: dsId,
        body: { sql: 'SELECT 2' },
      });
      expect(again.statusCode).toBe(409);
      const unknownDs = await call(t, editor, 'POST', base, {
        name: 'q2',
        datasourceId: '00000000-0000-4000-8000-000000000000',
        body: { sql: 'SELECT 1' },
      });
      expect(unknownDs.statusCode).toBe(404);
    });

    it('publish freezes the definition; the published view has no query text or datasource', async () => {
      const appId = await createApp(t, editor, wid, 'Published');
      const queryId = await createQuery(t, editor, wid, appId, {
        name: 'query1',
        datasourceId: dsId,
        body: { sql: 'SELECT id, name FROM people WHERE name = {{ name }}' },
        params: [{ name: 'name', type: 'string', required: true }],
      });
      const patched = await call(t, editor, 'PATCH', `/api/workspaces/${wid}/apps/${appId}`, {
        definition: definition(queryId),
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(
        (await call(t, viewer, 'GET', `/api/workspaces/${wid}/apps/${appId}/published`)).statusCode,
      ).toBe(404);
      await publish(t, editor, wid, appId);
      const view = await call(t, viewer, 'GET', `/api/workspaces/${wid}/apps/${appId}/published`);
      expect(view.statusCode).toBe(200);
      expect(view.json().definition).toEqual(definition(queryId));
      expect(view.json().queries).toEqual([
        { id: queryId, name: 'query1', params: [{ name: 'name', type: 'string', required: true }] },
      ]);
      expect(view.body).not.toMatch(/SELECT|people/);
      expect(view.body).not.toContain(dsId);
      // Editing the draft definition leaves the published one.
      await call(t, editor, 'PATCH', `/api/workspaces/${wid}/apps/${appId}`, {
        definition: definition(),
      });
      const after = await call(t, viewer, 'GET', `/api/workspaces/${wid}/apps/${appId}/published`);
      expect(after.json().definition).toEqual(definition(queryId));
      // An event naming a query the app does not have cannot be published.
      await call(t, editor, 'PATCH', `/api/workspaces/${wid}/apps/${appId}`, {
        definition: definition('00000000-0000-4000-8000-000000000000'),
      });
      const refused = await call(t, editor, 'POST', `/api/workspaces/${wid}/apps/${appId}/publish`);
      expect(refused.statusCode).toBe(400);
    });

    it('role matrix: every route for admin, editor, viewer and another workspace', async () => {
      const appId = await createApp(t, editor, wid, 'Matrix');
      const queryId = await createQuery(t, editor, wid, appId, {
        name: 'one',
        datasourceId: dsId,
        body: { sql: 'SELECT 1 AS one' },
      });
      await publish(t, editor, wid, appId);
      const w = `/api/workspaces/${wid}`;
      type Row = [
        string,
        'GET' | 'POST' | 'PATCH' | 'DELETE',
        () => string,
        unknown,
        [number, number, number, number],
      ];
      let n = 0;
      const scratchApp = () => `${w}/apps/${appId}`;
      const rows: Row[] = [
        ['list apps', 'GET', () => `${w}/apps`, undefined, [200, 200, 200, 404]],
        ['create app', 'POST', () => `${w}/apps`, { name: 'X' }, [201, 201, 403, 404]],
        ['get app', 'GET', scratchApp, undefined, [200, 200, 403, 404]],
        ['patch app', 'PATCH', scratchApp, { name: 'Matrix' }, [200, 200, 403, 404]],
        ['publish', 'POST', () => `${scratchApp()}/publish`, undefined, [200, 200, 403, 404]],
        ['published', 'GET', () => `${scratchApp()}/published`, undefined, [200, 200, 200, 404]],
        [
          'create query',
          'POST',
          () => `${scratchApp()}/queries`,
          () => ({ name: `q${n++}`, datasourceId: dsId, body: { sql: 'SELECT 1' } }),
          [201, 201, 403, 404],
        ],
        [
          'patch query',
          'PATCH',
          () => `${scratchApp()}/queries/${queryId}`,
          { timeoutMs: 5000 },
          [200, 200, 403, 404],
        ],
        [
          'run',
          'POST',
          () => `${scratchApp()}/queries/${queryId}/run`,
          { params: {} },
          [200, 200, 200, 404],
        ],
        [
          'run draft',
          'POST',
          () => `${scratchApp()}/queries/${queryId}/run?draft=true`,
          { params: {} },
          [200, 200, 403, 404],
        ],
        [
          'preview',
          'POST',
          () => `${w}/datasources/${dsId}/preview`,
          { query: { sql: 'SELECT 1' }, params: {} },
          [200, 200, 403, 404],
        ],
      ];
      const sessions = [admin, editor, viewer, outsider];
      for (const [label, method, url, body, expected] of rows) {
        for (let i = 0; i < sessions.length; i++) {
          const payload = typeof body === 'function' ? (body as () => unknown)() : body;
          const res = await call(t, sessions[i], method, url(), payload);
          expect(
            res.statusCode,
            `${label} as ${['admin', 'editor', 'viewer', 'outsider'][i]}: ${res.body}`,
          ).toBe(expected[i]);
        }
      }
      // Deletes: viewer and outsider refused; editor and admin succeed on their own copies.
      for (const [session, code] of [
        [viewer, 403],
        [outsider, 404],
      ] as const) {
        expect(
          (await call(t, session, 'DELETE', `${scratchApp()}/queries/${queryId}`)).statusCode,
        ).toBe(code);
        expect((await call(t, session, 'DELETE', scratchApp())).statusCode).toBe(code);
      }
      expect(
        (await call(t, editor, 'DELETE', `${scratchApp()}/queries/${queryId}`)).statusCode,
      ).toBe(204);
      expect((await call(t, admin, 'DELETE', scratchApp())).statusCode).toBe(204);
      expect((await call(t, editor, 'GET', scratchApp())).statusCode).toBe(404);
      // Unauthenticated and malformed ids.
      expect((await t.app.inject({ method: 'GET', url: `${w}/apps` })).statusCode).toBe(401);
      expect((await call(t, editor, 'GET', `${w}/apps/not-a-uuid`)).statusCode).toBe(404);
    });

    it('runs the saved query with its own row cap, published and draft', async () => {
      const appId = await createApp(t, editor, wid, 'Caps');
      const queryId = await createQuery(t, editor, wid, appId, {
        name: 'three',
        datasourceId: dsId,
        body: { sql: 'SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3' },
        maxRows: 2,
        timeoutMs: 5000,
      });
      await publish(t, editor, wid, appId);
      for (const draft of [false, true]) {
        const res = await runQuery(t, editor, wid, appId, queryId, { params: {} }, draft);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ rows: [{ n: 1 }, { n: 2 }], truncated: true });
      }
    });

    it("does not return another workspace's apps or queries, even by id", async () => {
      const theirApp = await createApp(t, outsider, outsider.workspaceId, 'Theirs');
      const mine = await createApp(t, editor, wid, 'Mine');
      const ow = `/api/workspaces/${outsider.workspaceId}`;
      expect((await call(t, outsider, 'GET', `${ow}/apps/${mine}`)).statusCode).toBe(404);
      expect(
        (await call(t, outsider, 'PATCH', `${ow}/apps/${mine}`, { name: 'x' })).statusCode,
      ).toBe(404);
      expect((await call(t, outsider, 'POST', `${ow}/apps/${mine}/publish`)).statusCode).toBe(404);
      expect((await call(t, outsider, 'DELETE', `${ow}/apps/${mine}`)).statusCode).toBe(404);
      const list = await call(t, outsider, 'GET', `${ow}/apps`);
      expect(list.json().map((a: { id: string }) => a.id)).toEqual([theirApp]);
      expect(
        (await call(t, editor, 'GET', `/api/workspaces/${wid}/apps/${theirApp}`)).statusCode,
      ).toBe(404);
      // Runs: the query and datasource lookups are scoped by the route's workspace. The
      // outsider administers their own workspace, so a draft run is not refused by role.
      const mineQuery = await createQuery(t, editor, wid, mine, {
        name: 'mine',
        datasourceId: dsId,
        body: { sql: 'SELECT 1 AS one' },
      });
      await publish(t, editor, wid, mine);
      const theirs = outsider.workspaceId;
      for (const draft of [false, true]) {
        const own = await runQuery(t, editor, wid, mine, mineQuery, { params: {} }, draft);
        expect(own.statusCode, own.body).toBe(200);
        for (const app of [mine, theirApp]) {
          const res = await runQuery(t, outsider, theirs, app, mineQuery, { params: {} }, draft);
          expect(res.statusCode, `draft=${draft} app=${app}: ${res.body}`).toBe(404);
        }
      }
      const preview = await call(t, outsider, 'POST', `${ow}/datasources/${dsId}/preview`, {
        query: { sql: 'SELECT 1' },
        params: {},
      });
      expect(preview.statusCode).toBe(404);
    });
  },
);
