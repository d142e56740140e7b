import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultCheckService } from '../../src/credential-vault/vault-check.service';
import { CredentialVaultService } from '../../src/credential-vault/credential-vault.service';
import { DatasourceService } from '../../src/datasources/datasource.service';
import {
  addMember,
  call,
  otherWorkspace,
  setupOrReuse,
  TestSession,
} from '../harness/auth-fixtures';
import { createDatasource, findCanaries, metadataText } from '../harness/datasource-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

type Admin = TestSession & { workspaceId: string };

/** Valid sample config per type, so that removing one field is the only fault. */
const SAMPLE_CONFIG: Record<string, Record<string, unknown>> = {
  postgres: { host: 'db.example.test', port: 5432, database: 'app', user: 'app', tls: 'require' },
  mysql: { host: 'db.example.test', port: 3306, database: 'app', user: 'app', tls: 'require' },
  sqlite: { filename: 'sample.db' },
  rest: { baseUrl: 'https://api.example.test/v1' },
};

describe.each<MetadataStore>(['sqlite', 'postgres'])('datasources CRUD (%s)', (store) => {
  let t: TestApp;
  let admin: Admin;
  let editor: TestSession;
  let viewer: TestSession;
  let other: Admin;
  const url = (rest = '') => `/api/workspaces/${admin.workspaceId}/datasources${rest}`;
  let n = 0;
  const uniqueName = (label: string) => `${label} ${++n}`;
  const pgDatasource = (password: string, name = uniqueName('pg')) =>
    createDatasource(t, admin, {
      name,
      type: 'postgres',
      config: SAMPLE_CONFIG.postgres,
      secrets: { password: { value: password } },
    });

  beforeAll(async () => {
    t = await createTestApp({ store });
    admin = await setupOrReuse(t);
    editor = await addMember(t, admin, admin.workspaceId, 'editor');
    viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    other = await otherWorkspace(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('role and workspace matrix on every datasource route', async () => {
    const ds = await pgDatasource('Pw-matrix-1');
    const victim = await pgDatasource('Pw-matrix-2');
    const create = { name: 'x', type: 'rest', config: SAMPLE_CONFIG.rest };
    const testNew = { type: 'rest', config: { baseUrl: 'http://127.0.0.1:9/' } };
    const routes: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown][] = [
      ['list', 'GET', url(), undefined],
      ['create', 'POST', url(), create],
      ['test unsaved', 'POST', url('/test'), testNew],
      ['read', 'GET', url(`/${ds.id}`), undefined],
      ['update', 'PATCH', url(`/${ds.id}`), { name: uniqueName('renamed') }],
      ['test', 'POST', url(`/${ds.id}/test`), {}],
      ['delete', 'DELETE', url(`/${victim.id}`), undefined],
    ];
    const expected: Record<string, Record<string, number>> = {
      admin: {
        list: 200,
        create: 201,
        'test unsaved': 200,
        read: 200,
        update: 200,
        test: 200,
        delete: 204,
      },
      editor: {
        list: 200,
        create: 403,
        'test unsaved': 200,
        read: 200,
        update: 403,
        test: 200,
        delete: 403,
      },
      viewer: {
        list: 403,
        create: 403,
        'test unsaved': 403,
        read: 403,
        update: 403,
        test: 403,
        delete: 403,
      },
      other: {
        list: 404,
        create: 404,
        'test unsaved': 404,
        read: 404,
        update: 404,
        test: 404,
        delete: 404,
      },
      anonymous: {
        list: 401,
        create: 401,
        'test unsaved': 401,
        read: 401,
        update: 401,
        test: 401,
        delete: 401,
      },
    };
    const sessions: Record<string, TestSession | undefined> = {
      other,
      anonymous: undefined,
      viewer,
      editor,
      admin, // last: its delete succeeds
    };
    const actual: Record<string, Record<string, number>> = {};
    for (const [who, session] of Object.entries(sessions)) {
      actual[who] = {};
      for (const [label, method, path, body] of routes) {
        const payload = label === 'create' ? { ...create, name: uniqueName('created') } : body;
        actual[who][label] = (await call(t, session, method, path, payload)).statusCode;
      }
    }
    expect(actual).toEqual(expected);
  });

  it("another workspace's datasource is 404 through the other workspace's own URL too", async () => {
    const ds = await pgDatasource('Pw-tenancy');
    const base = `/api/workspaces/${other.workspaceId}/datasources/${ds.id}`;
    expect((await call(t, other, 'GET', base)).statusCode).toBe(404);
    expect((await call(t, other, 'PATCH', base, { name: 'stolen' })).statusCode).toBe(404);
    expect((await call(t, other, 'POST', `${base}/test`, {})).statusCode).toBe(404);
    expect((await call(t, other, 'DELETE', base)).statusCode).toBe(404);
    const list = await call(t, other, 'GET', `/api/workspaces/${other.workspaceId}/datasources`);
    expect(list.json<{ id: string }[]>().map((d) => d.id)).not.toContain(ds.id);
    // still there, unchanged
    expect((await call(t, admin, 'GET', url(`/${ds.id}`))).json()).toMatchObject({ version: 1 });
    expect((await call(t, admin, 'GET', `${url()}/not-a-uuid`)).statusCode).toBe(404);
    // what the query proxy calls is scoped the same way
    const service = t.app.get(DatasourceService);
    await expect(service.resolveForRun(other.workspaceId, ds.id)).rejects.toMatchObject({
      status: 404,
    });
    await expect(service.resolveForRun(admin.workspaceId, ds.id)).resolves.toMatchObject({
      secrets: { password: 'Pw-tenancy' },
    });
  });

  it('the type catalog is served to any signed-in user and lists secret fields', async () => {
    const res = await call(t, viewer, 'GET', '/api/datasource-types');
    expect(res.statusCode).toBe(200);
    const catalog = res.json<{ type: string; secretFields: { name: string }[] }[]>();
    expect(catalog.map((c) => c.type)).toEqual(['postgres', 'mysql', 'sqlite', 'rest']);
    const secretsOf = (type: string) =>
      catalog.find((c) => c.type === type)!.secretFields.map((f) => f.name);
    expect(secretsOf('postgres')).toEqual(['password', 'clientKey']);
    expect(secretsOf('rest')).toEqual(
      expect.arrayContaining(['bearerToken', 'basicUser', 'basicPassword', 'header:*', 'query:*']),
    );
    expect((await call(t, undefined, 'GET', '/api/datasource-types')).statusCode).toBe(401);
    expect((await call(t, viewer, 'GET', '/api/egress')).json()).toEqual({ publicIps: [] });
  });

  it('the catalog drives validation: every declared required field missing is a 400 naming it', async () => {
    const catalog = (await call(t, admin, 'GET', '/api/datasource-types')).json<
      {
        type: string;
        configFields: {
          name: string;
          required: boolean;
          kind: string;
          options?: { value: string }[];
        }[];
      }[]
    >();
    let checked = 0;
    for (const entry of catalog) {
      const sample = SAMPLE_CONFIG[entry.type];
      // the sample itself is valid, so each failure below is caused by the one change
      const ok = await call(t, admin, 'POST', url(), {
        name: uniqueName(entry.type),
        type: entry.type,
        config: sample,
      });
      expect(ok.statusCode, `${entry.type} sample: ${ok.body}`).toBe(201);
      for (const field of entry.configFields) {
        const variants: [string, Record<string, unknown>][] = [];
        if (field.required) {
          const { [field.name]: _removed, ...rest } = sample;
          variants.push(['missing', rest]);
        }
        if (field.kind === 'number')
          variants.push(['not a number', { ...sample, [field.name]: 'abc' }]);
        if (field.kind === 'select')
          variants.push(['bad option', { ...sample, [field.name]: 'bogus' }]);
        for (const [why, config] of variants) {
          const res = await call(t, admin, 'POST', url(), {
            name: uniqueName('bad'),
            type: entry.type,
            config,
          });
          expect(res.statusCode, `${entry.type}.${field.name} ${why}`).toBe(400);
          expect(res.json<{ message: string }>().message).toContain(`config.${field.name}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('rejects credentials in the clear config of SQL types and unknown secret fields', async () => {
    const inConfig = await call(t, admin, 'POST', url(), {
      name: uniqueName('pw in config'),
      type: 'postgres',
      config: { ...SAMPLE_CONFIG.postgres, password: 'Canary-CFG-1' },
    });
    expect(inConfig.statusCode).toBe(400);
    expect(inConfig.body).not.toContain('Canary-CFG-1');
    const unknown = await call(t, admin, 'POST', url(), {
      name: uniqueName('bad secret'),
      type: 'postgres',
      config: SAMPLE_CONFIG.postgres,
      secrets: { token: { value: 'Canary-CFG-2' } },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<{ message: string }>().message).toContain('secrets.token');
    expect(unknown.body).not.toContain('Canary-CFG-2');
  });

  it('names are unique per workspace, case-insensitively (409)', async () => {
    const name = uniqueName('Sales DB');
    await pgDatasource('Pw-1', name);
    const dup = await call(t, admin, 'POST', url(), {
      name: name.toUpperCase(),
      type: 'rest',
      config: SAMPLE_CONFIG.rest,
    });
    expect(dup.statusCode).toBe(409);
    // another workspace may use the same name
    const elsewhere = await call(
      t,
      other,
      'POST',
      `/api/workspaces/${other.workspaceId}/datasources`,
      {
        name,
        type: 'rest',
        config: SAMPLE_CONFIG.rest,
      },
    );
    expect(elsewhere.statusCode).toBe(201);
  });

  it('F1/F8: no secret or ciphertext in any response, log line, audit entry; plaintext not at rest', async () => {
    const canaries = [
      'Canary-PW-7f3e',
      'Canary-URL-9',
      'Canary-QS-9',
      'Canary-HDR-9',
      'Canary-BRR-9',
      'Canary-QP-9',
    ];
    const pg = await pgDatasource('Canary-PW-7f3e');
    const rest = await createDatasource(t, admin, {
      name: uniqueName('rest'),
      type: 'rest',
      config: {
        baseUrl: 'https://apiuser:Canary-URL-9@api.example.test/v1?api_key=Canary-QS-9&lang=en',
        headers: [
          { name: 'X-Api-Key', value: 'Canary-HDR-9' },
          { name: 'Accept', value: 'application/json' },
        ],
        queryParams: [{ name: 'tenant', value: 'Canary-QP-9', secret: true }],
      },
      secrets: { bearerToken: { value: 'Canary-BRR-9' } },
    });
    // credentials moved into the vault, the rest kept in the clear
    expect(rest.config).toEqual({
      baseUrl: 'https://api.example.test/v1?lang=en',
      headers: [{ name: 'Accept', value: 'application/json' }],
      queryParams: [],
      followRedirects: true,
    });
    expect(rest.secrets).toEqual({
      bearerToken: { isSet: true },
      basicUser: { isSet: true },
      basicPassword: { isSet: true },
      'header:X-Api-Key': { isSet: true },
      'query:api_key': { isSet: true },
      'query:tenant': { isSet: true },
    });
    expect(pg.secrets).toEqual({ password: { isSet: true }, clientKey: { isSet: false } });

    const ds = t.app.get(DataSource);
    const ciphertexts = (
      await ds.query<{ ciphertext: string }[]>('SELECT ciphertext FROM datasource_secrets')
    ).map((r) => r.ciphertext);
    expect(ciphertexts.length).toBeGreaterThanOrEqual(7);

    const bodies: string[] = [JSON.stringify(pg), JSON.stringify(rest)];
    for (const session of [admin, editor, viewer]) {
      for (const path of [url(), url(`/${pg.id}`), url(`/${rest.id}`)]) {
        bodies.push((await call(t, session, 'GET', path)).body);
      }
      bodies.push((await call(t, session, 'POST', url(`/${rest.id}/test`), {})).body);
    }
    bodies.push(
      (await call(t, admin, 'PATCH', url(`/${rest.id}`), { name: uniqueName('r2') })).body,
    );
    bodies.push(
      (await call(t, admin, 'GET', `/api/workspaces/${admin.workspaceId}/audit-events`)).body,
    );
    const secretsAndCiphertexts = [...canaries, ...ciphertexts, 'v1.'];
    expect(findCanaries(bodies, secretsAndCiphertexts)).toEqual([]);
    expect(findCanaries(t.logs, secretsAndCiphertexts)).toEqual([]);
    expect(findCanaries([await metadataText(t)], canaries)).toEqual([]);
  });

  it('F2/F3 kinds: update semantics of secrets (absent keeps, value replaces, clear removes, others 400)', async () => {
    const ds = await pgDatasource('p@ss:w/rd%');
    const path = url(`/${ds.id}`);
    const get = async () =>
      (await call(t, admin, 'GET', path)).json<{
        version: number;
        secrets: Record<string, { isSet: boolean }>;
      }>();

    // every invalid shape is a 400 and changes nothing
    const invalid: unknown[] = [
      null,
      '********',
      'Encrypted on the server side',
      {},
      { isSet: true }, // echoing what a read returned
      { value: 'a', clear: true },
      { clear: false },
      { value: null },
      { value: 12 },
    ];
    for (const shape of invalid) {
      const res = await call(t, admin, 'PATCH', path, { secrets: { password: shape } });
      expect(res.statusCode, JSON.stringify(shape)).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('secrets.password');
    }
    expect((await call(t, admin, 'PATCH', path, { secrets: null })).statusCode).toBe(400);
    expect(await get()).toMatchObject({ version: 1, secrets: { password: { isSet: true } } });

    // echoing a whole read back is refused, never stored
    const read = await get();
    expect((await call(t, admin, 'PATCH', path, { secrets: read.secrets })).statusCode).toBe(400);

    // absent keeps
    const renamed = await call(t, admin, 'PATCH', path, { name: uniqueName('kept') });
    expect(renamed.json()).toMatchObject({ version: 2, secrets: { password: { isSet: true } } });
    // a value replaces; a placeholder-looking string is a value like any other
    const replaced = await call(t, admin, 'PATCH', path, {
      secrets: { password: { value: '********' } },
    });
    expect(replaced.json()).toMatchObject({ version: 3, secrets: { password: { isSet: true } } });
    const stored = await t.app
      .get(DataSource)
      .query<
        { ciphertext: string; workspace_id: string }[]
      >(`SELECT ciphertext, workspace_id FROM datasource_secrets WHERE datasource_id = '${ds.id}' AND field = 'password'`);
    const plain = await t.app
      .get(CredentialVaultService)
      .decryptSecret(admin.workspaceId, ds.id, 'password', stored[0].ciphertext);
    expect(plain).toBe('********');
    // clear removes
    const cleared = await call(t, admin, 'PATCH', path, { secrets: { password: { clear: true } } });
    expect(cleared.json()).toMatchObject({ version: 4, secrets: { password: { isSet: false } } });
  });

  it('changing where a datasource points requires every set secret again (no replay to a new host)', async () => {
    const ds = await pgDatasource('Pw-retarget');
    const path = url(`/${ds.id}`);
    for (const change of [
      { host: 'evil.example.test' },
      { port: 6543 },
      { database: 'other' },
      { tls: 'disable' },
    ]) {
      const res = await call(t, admin, 'PATCH', path, { config: change });
      expect(res.statusCode, JSON.stringify(change)).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/password/);
      // the test route applies the same rule: a stored secret is never sent to a new target
      const test = await call(t, editor, 'POST', `${path}/test`, { config: change });
      expect(test.statusCode).toBe(400);
    }
    expect((await call(t, admin, 'GET', path)).json()).toMatchObject({ version: 1 });
    const ok = await call(t, admin, 'PATCH', path, {
      config: { host: 'new.example.test' },
      secrets: { password: { value: 'Pw-new-host' } },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      version: 2,
      config: { host: 'new.example.test', port: 5432 },
    });

    const rest = await createDatasource(t, admin, {
      name: uniqueName('rest retarget'),
      type: 'rest',
      config: { baseUrl: 'https://api.example.test/v1' },
      secrets: { bearerToken: { value: 'tok' } },
    });
    const moved = await call(t, admin, 'PATCH', url(`/${rest.id}`), {
      config: { baseUrl: 'https://attacker.example.test/' },
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json<{ message: string }>().message).toMatch(/bearerToken/);
  });

  it('F4 kind: an undecryptable secret or data key is flagged, and new secrets save without the old', async () => {
    const vault = t.app.get(CredentialVaultService);
    const db = t.app.get(DataSource);
    const one = await pgDatasource('Pw-corrupt-one');
    const two = await createDatasource(t, admin, {
      name: uniqueName('two secrets'),
      type: 'rest',
      config: { baseUrl: 'https://api.example.test/' },
      secrets: { basicUser: { value: 'u' }, basicPassword: { value: 'Pw-two' } },
    });
    const healthy = await pgDatasource('Pw-healthy');

    // a corrupt ciphertext: flagged, resolveForRun refuses with 422, a new value repairs it
    const rows = await db.query<{ ciphertext: string }[]>(
      `SELECT ciphertext FROM datasource_secrets WHERE datasource_id = '${one.id}'`,
    );
    const broken =
      rows[0].ciphertext.slice(0, -4) + (rows[0].ciphertext.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await db.query(
      `UPDATE datasource_secrets SET ciphertext = '${broken}' WHERE datasource_id = '${one.id}'`,
    );
    vault.clearCache();
    expect((await call(t, admin, 'GET', url(`/${one.id}`))).json()).toMatchObject({
      needsReentry: true,
    });
    const tested = await call(t, editor, 'POST', url(`/${one.id}/test`), {});
    expect(tested.statusCode).toBe(422);
    expect(tested.json<{ message: string }>().message).toMatch(/enter them again/);
    const repaired = await call(t, admin, 'PATCH', url(`/${one.id}`), {
      secrets: { password: { value: 'Pw-repaired' } },
    });
    expect(repaired.json()).toMatchObject({ needsReentry: false, version: 2 });

    // an unreadable data key: every set secret must be given; then a fresh key is used
    await db.query(
      `UPDATE vault_data_keys SET wrapped_key = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE datasource_id = '${two.id}'`,
    );
    vault.clearCache();
    expect((await call(t, admin, 'GET', url(`/${two.id}`))).json()).toMatchObject({
      needsReentry: true,
    });
    const report = await t.app.get(VaultCheckService).check();
    expect(report.secrets.failures.map((f) => f.datasourceId)).toContain(two.id);
    const partial = await call(t, admin, 'PATCH', url(`/${two.id}`), {
      secrets: { basicPassword: { value: 'Pw-two-new' } },
    });
    expect(partial.statusCode).toBe(400);
    expect(partial.json<{ message: string }>().message).toContain('basicUser');
    const renameOnly = await call(t, admin, 'PATCH', url(`/${two.id}`), {
      name: uniqueName('renamed'),
    });
    expect(renameOnly.statusCode).toBe(200);
    const full = await call(t, admin, 'PATCH', url(`/${two.id}`), {
      secrets: { basicUser: { value: 'u2' }, basicPassword: { value: 'Pw-two-new' } },
    });
    expect(full.statusCode).toBe(200);
    expect(full.json()).toMatchObject({ needsReentry: false });
    // the others are untouched
    expect((await call(t, admin, 'GET', url(`/${healthy.id}`))).json()).toMatchObject({
      needsReentry: false,
    });
    const after = await t.app.get(VaultCheckService).check();
    expect(after.secrets.failures).toEqual([]);
    expect(after.secrets.total).toBeGreaterThanOrEqual(4);
  });

  it('delete removes the datasource, its secrets and its data key; audit names fields, not values', async () => {
    const ds = await pgDatasource('Canary-DEL-5');
    await call(t, admin, 'PATCH', url(`/${ds.id}`), {
      config: { host: 'moved.example.test' },
      secrets: { password: { value: 'Canary-DEL-6' } },
    });
    expect((await call(t, admin, 'DELETE', url(`/${ds.id}`))).statusCode).toBe(204);
    expect((await call(t, admin, 'GET', url(`/${ds.id}`))).statusCode).toBe(404);
    expect((await call(t, admin, 'DELETE', url(`/${ds.id}`))).statusCode).toBe(404);
    const db = t.app.get(DataSource);
    expect(
      await db.query(`SELECT field FROM datasource_secrets WHERE datasource_id = '${ds.id}'`),
    ).toEqual([]);
    expect(
      await db.query(`SELECT kek_id FROM vault_data_keys WHERE datasource_id = '${ds.id}'`),
    ).toEqual([]);
    const audit = await call(t, admin, 'GET', `/api/workspaces/${admin.workspaceId}/audit-events`);
    const events = JSON.stringify(audit.json());
    for (const action of [
      'datasource.created',
      'datasource.updated',
      'datasource.secret_replaced',
      'datasource.deleted',
    ]) {
      expect(events).toContain(action);
    }
    expect(events).toContain('host');
    expect(events).not.toContain('Canary-DEL');
  });
});
