import { expect, type APIRequestContext, type Page, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { inviteMember, randomEmail, randomPassword, seedMember } from '../support/accounts';
import { type E2ePostgres, startPostgres } from '../support/postgres-server';

/**
 * Leak scan in the browser: canaries in every secret field type (PostgreSQL password, TLS
 * client key, REST bearer token, basic password, URL userinfo, secret header, secret query
 * parameter) and in a query result; admin, editor and viewer open every page of the
 * workspace, the datasource forms, the app editor and the viewer, and run the query. Then
 * every response body and header the browser received, and the browser's localStorage,
 * sessionStorage, IndexedDB and cookies, are searched: no secret anywhere, and no result value
 * kept in any browser storage.
 */
const tag = () => randomBytes(5).toString('hex');
const secrets = {
  pgPassword: `Canary-PGPW-${tag()}`,
  clientKey: `Canary-KEY-${tag()}`,
  bearer: `Canary-Bearer-${tag()}`,
  basicPassword: `Canary-Basic-${tag()}`,
  urlPassword: `Canary-URLPW-${tag()}`,
  header: `Canary-HDR-${tag()}`,
  query: `Canary-QS-${tag()}`,
};
const RESULT = `Canary-Result-${tag()}`;

let pg: E2ePostgres;
test.beforeAll(async () => {
  pg = await startPostgres(secrets.pgPassword);
  pg.sql(`CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, '${RESULT}');`);
});
test.afterAll(() => pg?.stop());

async function api(request: APIRequestContext, email: string, password: string) {
  const login = await request.post('/api/auth/login', { data: { email, password } });
  expect(login.status()).toBe(200);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const as = async (method: 'POST' | 'PATCH', url: string, data: unknown) => {
    const res = await request.fetch(url, { method, data, headers: { 'x-csrf-token': csrfToken } });
    expect(res.status(), await res.text()).toBeLessThan(300);
    return (await res.json()) as { id: string };
  };
  return Object.assign(as, { csrfToken });
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/w\//);
}

// Runs in the page (a string: the e2e tsconfig has no DOM types). Reads every key of both
// storages and every record of every IndexedDB object store.
const STORAGE_DUMP = `(async () => {
  const dump = (s) => Object.keys(s).map((k) => k + '=' + s.getItem(k)).join('\\n');
  const idb = [];
  for (const info of await indexedDB.databases()) {
    if (!info.name) continue;
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open(info.name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    for (const store of Array.from(db.objectStoreNames)) {
      const all = await new Promise((res, rej) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      idb.push(JSON.stringify(all));
    }
    db.close();
  }
  return [dump(localStorage), dump(sessionStorage), ...idb].join('\\n');
})()`;

/** Everything the page's origin keeps: localStorage, sessionStorage, IndexedDB, cookies. */
async function browserStorage(page: Page): Promise<string> {
  const inPage = await page.evaluate<string>(STORAGE_DUMP);
  const cookies = await page.context().cookies();
  return `${inPage}\n${JSON.stringify(cookies)}`;
}

test('no secret in any response or browser storage, no result kept in the browser', async ({
  browser,
  request,
}) => {
  // 28 page loads, each waiting for network idle: 29.7-38.5 s on a busy 2-core machine, too
  // close to the default 60 s; 180 s leaves 4.7x.
  test.setTimeout(180_000);
  const admin = await seedMember(request, 'admin');
  const wid = admin.workspaceId;
  const as = await api(request, admin.email, admin.password);
  const w = `/api/workspaces/${wid}`;
  const pgConfig = { host: pg.host, port: pg.port, database: 'postgres', user: pg.user };
  const pgDs = await as('POST', `${w}/datasources`, {
    name: 'Notes DB',
    type: 'postgres',
    config: { ...pgConfig, tls: 'disable' },
    secrets: { password: { value: secrets.pgPassword } },
  });
  const tlsDs = await as('POST', `${w}/datasources`, {
    name: 'TLS DB',
    type: 'postgres',
    config: { ...pgConfig, tls: 'require' },
    secrets: {
      password: { value: secrets.pgPassword },
      clientKey: {
        value: `-----BEGIN PRIVATE KEY-----\n${secrets.clientKey}\n-----END PRIVATE KEY-----`,
      },
    },
  });
  const restDs = await as('POST', `${w}/datasources`, {
    name: 'Notes API',
    type: 'rest',
    config: {
      baseUrl: `http://apiuser:${secrets.urlPassword}@127.0.0.1:9/v1?api_key=${secrets.query}`,
      headers: [{ name: 'X-Api-Key', value: secrets.header, secret: true }],
    },
    secrets: {
      bearerToken: { value: secrets.bearer },
      basicPassword: { value: secrets.basicPassword },
    },
  });
  const app = await as('POST', `${w}/apps`, { name: 'Notes' });
  const query = await as('POST', `${w}/apps/${app.id}/queries`, {
    name: 'notes',
    datasourceId: pgDs.id,
    body: { sql: 'SELECT id, body FROM notes' },
  });
  await as('POST', `${w}/apps/${app.id}/publish`, {});
  const members: Record<string, { email: string; password: string }> = { admin };
  for (const role of ['editor', 'viewer'] as const) {
    const m = { email: randomEmail(role), password: randomPassword() };
    await inviteMember(request, as.csrfToken, wid, m, role);
    members[role] = m;
  }

  const received: string[] = [];
  const stored: string[] = [];
  let resultSeen = false;
  for (const [role, m] of Object.entries(members)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('response', (res) => {
      void res
        .body()
        .then((b) => {
          const text = `${res.url()}\n${JSON.stringify(res.headers())}\n${b.toString('utf8')}`;
          received.push(text);
          if (text.includes(RESULT)) resultSeen = true;
        })
        .catch(() => undefined); // redirects have no body
    });
    await signIn(page, m.email, m.password);
    const pages =
      role === 'viewer'
        ? [`/w/${wid}`, `/view/${wid}/${app.id}`, '/account']
        : [
            `/w/${wid}`,
            `/w/${wid}/datasources`,
            `/w/${wid}/datasources/${pgDs.id}`,
            `/w/${wid}/datasources/${tlsDs.id}`,
            `/w/${wid}/datasources/${restDs.id}`,
            `/w/${wid}/apps`,
            `/w/${wid}/apps/${app.id}/edit`,
            `/view/${wid}/${app.id}`,
            `/w/${wid}/members`,
            `/w/${wid}/audit`,
            '/account',
          ];
    for (const path of pages) {
      await page.goto(path);
      await page.waitForLoadState('networkidle');
    }
    // Run the published query from the page, as the viewer's runtime does.
    const run = await page.evaluate(
      async ({ url }) => {
        const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
          body: JSON.stringify({ params: {} }),
        });
        return { status: res.status, body: await res.text() };
      },
      { url: `${w}/apps/${app.id}/queries/${query.id}/run` },
    );
    expect(run.status, run.body).toBe(200);
    expect(run.body).toContain(RESULT);
    await page.goto(`/w/${wid}`);
    await page.waitForLoadState('networkidle');
    // Positive control: the dump really reads this origin's storage.
    await page.evaluate("localStorage.setItem('leak-scan-probe', 'Probe-7c1')");
    const storage = await browserStorage(page);
    expect(storage).toContain('Probe-7c1');
    expect(storage).toContain('bastion_session'); // the cookie jar is in the dump
    stored.push(storage);
    await context.close();
  }

  expect(received.length).toBeGreaterThan(30);
  expect(resultSeen).toBe(true);
  const secretHits = Object.values(secrets).flatMap((s) =>
    received.filter((r) => r.includes(s)).map((r) => `${s}: ${r.slice(0, 200)}`),
  );
  expect(secretHits).toEqual([]);
  for (const text of stored) {
    for (const value of [...Object.values(secrets), RESULT]) expect(text).not.toContain(value);
  }
});
