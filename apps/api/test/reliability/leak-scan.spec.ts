import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  addMember,
  call,
  otherWorkspace,
  setupOrReuse,
  type TestSession,
} from '../harness/auth-fixtures';
import {
  createMariaDbUser,
  createPgUser,
  findCanaries,
  metadataText,
  sqlConfigOf,
} from '../harness/datasource-fixtures';
import { createMariaDbDatabase } from '../harness/mariadb-server';
import {
  createPostgresDatabase,
  startPostgres,
  type PostgresServer,
} from '../harness/postgres-server';
import { createApp, createQuery, publish } from '../harness/query-fixtures';
import { createTestApp, type MetadataStore, type TestApp } from '../harness/test-app';

/**
 * One run per metadata store that plants a canary in every secret field type (PostgreSQL and
 * MariaDB passwords, a TLS client key, a REST bearer token, basic-auth password, URL userinfo,
 * a secret header, a secret query parameter) and canary values in query results, exercises
 * every route as admin, editor, viewer, another workspace's admin and anonymous, then
 * searches every response body and header, every log line and every row of the metadata
 * database. Secrets: zero hits anywhere. Results: only in the run/preview answers that return
 * them, never in logs, the database or any other answer.
 */
const tag = () => randomBytes(5).toString('hex');

describe.each<MetadataStore>(['sqlite', 'postgres'])('leak scan (%s metadata store)', (store) => {
  const secrets = {
    pgPassword: `Canary-PGPW-${tag()}`,
    myPassword: `Canary-MYPW-${tag()}`,
    clientKey: `-----BEGIN PRIVATE KEY-----\nCanary-KEY-${tag()}\n-----END PRIVATE KEY-----`,
    bearer: `Canary-Bearer-${tag()}`,
    basicPassword: `Canary-Basic-${tag()}`,
    urlPassword: `Canary-URLPW-${tag()}`,
    header: `Canary-HDR-${tag()}`,
    query: `Canary-QS-${tag()}`,
  };
  const secretCanaries = Object.values(secrets).map((s) =>
    s.startsWith('-----') ? s.split('\n')[1] : s,
  );
  const results = {
    pg: `Canary-ResultPG-${tag()}`,
    my: `Canary-ResultMY-${tag()}`,
    rest: `Canary-ResultREST-${tag()}`,
  };
  const resultCanaries = Object.values(results);

  let t: TestApp;
  let rest: Server;
  let metaServer: PostgresServer | undefined;
  let admin: TestSession & { workspaceId: string };
  let roles: Record<string, TestSession | undefined>;
  let wid: string;
  const ids: Record<string, string> = {};
  /** Every answer: role, route, whether it may carry result values, the whole text. */
  const seen: { label: string; mayHoldResults: boolean; text: string }[] = [];

  beforeAll(async () => {
    // PostgreSQL datasource: a password user and a table holding the result canary.
    const pgAdmin = inject('postgresAdminUrl');
    const pgDb = new URL(await createPostgresDatabase(pgAdmin, 'leak'));
    const pgUser = `leak_${tag()}`;
    await createPgUser(pgAdmin, pgUser, secrets.pgPassword);
    const pgOwner = new Client({ connectionString: pgDb.toString() });
    await pgOwner.connect();
    await pgOwner.query(`CREATE TABLE notes (id int, body text)`);
    await pgOwner.query(`INSERT INTO notes VALUES (1, $1)`, [results.pg]);
    await pgOwner.query(`GRANT SELECT ON notes TO ${pgUser}`);
    await pgOwner.end();
    pgDb.username = pgUser;
    pgDb.password = '';

    // MariaDB datasource likewise.
    const myAdmin = inject('mysqlAdminUrl');
    const myDbUrl = new URL(await createMariaDbDatabase(myAdmin, 'leak'));
    const myDb = myDbUrl.pathname.slice(1);
    const myUser = `leak_${tag()}`;
    await createMariaDbUser(myAdmin, myUser, secrets.myPassword, myDb);
    const myConn = await createConnection(myDbUrl.toString());
    await myConn.query('CREATE TABLE notes (id int, body text)');
    await myConn.query('INSERT INTO notes VALUES (1, ?)', [results.my]);
    await myConn.end();
    myDbUrl.username = myUser;
    myDbUrl.password = '';

    // REST target: answers the result canary only to a request carrying every credential.
    rest = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const ok =
        req.headers.authorization === `Bearer ${secrets.bearer}` &&
        req.headers['x-api-key'] === secrets.header &&
        url.searchParams.get('api_key') === secrets.query;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { items: [{ note: results.rest }] } : { error: 'denied' }));
    });
    await new Promise<void>((r) => rest.listen(0, '127.0.0.1', r));
    const restPort = (rest.address() as AddressInfo).port;

    // A PostgreSQL metadata store gets its own cluster: the platform (rightly) refuses its own
    // metadata server as a datasource target, and the datasources live on the run's server.
    let databaseUrl: string | undefined;
    if (store === 'postgres') {
      metaServer = await startPostgres();
      databaseUrl = await createPostgresDatabase(metaServer.url, 'meta');
    }
    t = await createTestApp({
      env: {
        EGRESS_ALLOW_LOOPBACK: 'true',
        LOG_LEVEL: 'debug',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
    });
    t.databaseUrl = databaseUrl; // metadataText dumps every PostgreSQL table then
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
    roles = {
      admin,
      editor: await addMember(t, admin, wid, 'editor'),
      viewer: await addMember(t, admin, wid, 'viewer'),
      other: await otherWorkspace(t),
      anonymous: undefined,
    };
    const create = async (key: string, body: unknown) => {
      const r = await call(t, admin, 'POST', `/api/workspaces/${wid}/datasources`, body);
      seen.push({ label: `admin create ${key}`, mayHoldResults: false, text: dump(r) });
      expect(r.statusCode, r.body).toBe(201);
      ids[key] = r.json<{ id: string }>().id;
    };
    await create('pg', {
      name: 'leak-pg',
      type: 'postgres',
      config: sqlConfigOf(pgDb.toString()),
      secrets: { password: { value: secrets.pgPassword } },
    });
    await create('my', {
      name: 'leak-my',
      type: 'mysql',
      config: sqlConfigOf(myDbUrl.toString()),
      secrets: { password: { value: secrets.myPassword } },
    });
    // TLS client key: stored, never connected with (the server has no TLS).
    await create('tls', {
      name: 'leak-tls',
      type: 'postgres',
      config: sqlConfigOf(pgDb.toString(), { tls: 'require' }),
      secrets: { password: { value: secrets.pgPassword }, clientKey: { value: secrets.clientKey } },
    });
    await create('rest', {
      name: 'leak-rest',
      type: 'rest',
      config: {
        baseUrl: `http://apiuser:${secrets.urlPassword}@127.0.0.1:${restPort}/v1?api_key=${secrets.query}`,
        headers: [{ name: 'X-Api-Key', value: secrets.header, secret: true }],
      },
      secrets: {
        bearerToken: { value: secrets.bearer },
        basicPassword: { value: secrets.basicPassword },
      },
    });
    ids.app = await createApp(t, admin, wid, 'Leak');
    ids.qpg = await createQuery(t, admin, wid, ids.app, {
      name: 'pg_notes',
      datasourceId: ids.pg,
      body: { sql: 'SELECT id, body FROM notes WHERE id = {{ id }}' },
      params: [{ name: 'id', type: 'number', required: true }],
    });
    ids.qmy = await createQuery(t, admin, wid, ids.app, {
      name: 'my_notes',
      datasourceId: ids.my,
      body: { sql: 'SELECT id, body FROM notes' },
    });
    ids.qrest = await createQuery(t, admin, wid, ids.app, {
      name: 'rest_notes',
      datasourceId: ids.rest,
      body: { method: 'GET', path: '/notes' },
    });
    ids.qbad = await createQuery(t, admin, wid, ids.app, {
      name: 'broken',
      datasourceId: ids.pg,
      body: { sql: 'SELECT body FROM no_such_table' },
    });
    await publish(t, admin, wid, ids.app);
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((r) => rest?.close(r));
    metaServer?.stop();
  });

  function dump(r: { statusCode: number; headers: Record<string, unknown>; body: string }) {
    return `${r.statusCode}\n${JSON.stringify(r.headers)}\n${r.body}`;
  }

  it('finds no secret anywhere and result values only in the answers that return them', async () => {
    const w = `/api/workspaces/${wid}`;
    const a = `${w}/apps/${ids.app}`;
    type Req = [method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, results?: boolean];
    const requests: Req[] = [
      ['GET', '/api/health'],
      ['GET', '/api/me'],
      ['GET', '/api/setup'],
      ['GET', '/api/docs-json'],
      ['GET', '/api/datasource-types'],
      ['GET', '/api/egress'],
      ['GET', '/api/auth/sessions'],
      ['GET', '/api/auth/two-factor'],
      ['GET', w],
      ['GET', `${w}/members`],
      ['GET', `${w}/datasources`],
      ...['pg', 'my', 'tls', 'rest'].flatMap((k): Req[] => [
        ['GET', `${w}/datasources/${ids[k]}`],
        ['POST', `${w}/datasources/${ids[k]}/test`, {}],
      ]),
      [
        'POST',
        `${w}/datasources/test`,
        {
          name: 'x',
          type: 'postgres',
          config: sqlConfigOf(`postgres://nobody@127.0.0.1:1/x`),
          secrets: { password: { value: 'wrong' } },
        },
      ],
      ['GET', `${w}/apps`],
      ['GET', a],
      ['GET', `${a}/published`],
      ['POST', `${a}/queries/${ids.qpg}/run`, { params: { id: 1 } }, true],
      ['POST', `${a}/queries/${ids.qmy}/run`, { params: {} }, true],
      ['POST', `${a}/queries/${ids.qrest}/run`, { params: {} }, true],
      ['POST', `${a}/queries/${ids.qpg}/run?draft=true`, { params: { id: 1 } }, true],
      ['POST', `${a}/queries/${ids.qpg}/run`, { params: { id: 'not a number' } }],
      ['POST', `${a}/queries/${ids.qbad}/run`, { params: {} }],
      [
        'POST',
        `${w}/datasources/${ids.pg}/preview`,
        { query: { sql: 'SELECT body FROM notes' }, params: {} },
        true,
      ],
      [
        'POST',
        `${w}/datasources/${ids.pg}/preview`,
        { query: { sql: 'SELEC body FROM notes' }, params: {} },
      ],
      [
        'POST',
        `${w}/datasources/${ids.rest}/preview`,
        { query: { method: 'GET', path: '/denied?x=1' }, params: {} },
        true,
      ],
      ['GET', `${w}/audit-events`],
      ['GET', `${w}/audit-events/verify`],
      ['GET', '/api/me/audit-events'],
    ];
    for (const [role, session] of Object.entries(roles)) {
      for (const [method, url, body, results] of requests) {
        const r = await call(t, session, method, url, body);
        expect(r.statusCode, `${role} ${method} ${url}: ${r.body}`).toBeLessThan(500);
        seen.push({ label: `${role} ${method} ${url}`, mayHoldResults: !!results, text: dump(r) });
      }
    }
    // The result canaries really were returned (the scan would prove nothing otherwise).
    const runs = seen.filter((s) => s.mayHoldResults).map((s) => s.text);
    for (const value of resultCanaries) {
      expect(
        runs.some((r) => r.includes(value)),
        `${value} never returned: ${runs.join('\n').slice(0, 3000)}`,
      ).toBe(true);
    }
    // And the secrets were really in use: the REST target only answers to all of them.
    expect(runs.some((r) => r.includes(results.rest))).toBe(true);

    // Updates that keep, replace and re-give secrets, then reads after them.
    const patches: [string, unknown][] = [
      [ids.pg, { name: 'leak-pg-2' }],
      [ids.rest, { name: 'leak-rest-2', secrets: { bearerToken: { value: secrets.bearer } } }],
      [ids.my, { secrets: { password: { value: secrets.myPassword } } }],
    ];
    for (const [id, body] of patches) {
      const r = await call(t, admin, 'PATCH', `${w}/datasources/${id}`, body);
      expect(r.statusCode, r.body).toBe(200);
      seen.push({ label: `admin PATCH ${id}`, mayHoldResults: false, text: dump(r) });
    }

    const db = await metadataText(t);
    const texts = [...seen.map((s) => s.text), ...t.logs, db];
    const secretHits = findCanaries(texts, secretCanaries);
    expect(secretHits.slice(0, 5)).toEqual([]);
    const resultHits = findCanaries(
      [...seen.filter((s) => !s.mayHoldResults).map((s) => s.text), ...t.logs, db],
      resultCanaries,
    );
    expect(resultHits.slice(0, 5)).toEqual([]);
    // Only the roles allowed to run may have received results.
    const wrongRole = seen.filter(
      (s) => /^(other|anonymous) /.test(s.label) && resultCanaries.some((c) => s.text.includes(c)),
    );
    expect(wrongRole.map((s) => s.label)).toEqual([]);
    console.info(
      `leak scan (${store}): ${seen.length} responses, ${t.logs.length} log lines, ` +
        `${(db.length / 1024).toFixed(0)} KiB of metadata scanned for ${secretCanaries.length} secret ` +
        `and ${resultCanaries.length} result canaries: 0 hits`,
    );
  });
});
