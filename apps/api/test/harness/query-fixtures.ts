import type { TQueryBody, TQueryParamSpec } from '@bastion/contracts';
import { expect } from 'vitest';
import { call, TestSession } from './auth-fixtures';
import type { EngineDb } from './query-engines';
import type { TestApp } from './test-app';
import { basename } from 'node:path';

/**
 * Creates a datasource through the API (as an admin) pointing at a test database.
 * For SQLite the file must sit in the app's `SQLITE_DATASOURCE_DIR`.
 */
export async function createDatasourceFor(
  t: TestApp,
  admin: TestSession,
  workspaceId: string,
  db: EngineDb,
  name = `ds-${db.engine}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  let body: Record<string, unknown>;
  if (db.engine === 'sqlite') {
    body = { name, type: 'sqlite', config: { filename: basename(db.url) }, secrets: {} };
  } else {
    const url = new URL(db.url);
    body = {
      name,
      type: db.engine,
      config: {
        host: url.hostname,
        port: Number(url.port),
        database: url.pathname.slice(1),
        user: decodeURIComponent(url.username),
        tls: 'disable',
      },
      secrets: { password: { value: decodeURIComponent(url.password) } },
    };
  }
  const res = await call(t, admin, 'POST', `/api/workspaces/${workspaceId}/datasources`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Creates a REST datasource for `baseUrl` with a bearer token secret. */
export async function createRestDatasource(
  t: TestApp,
  admin: TestSession,
  workspaceId: string,
  baseUrl: string,
  bearerToken: string,
): Promise<string> {
  const res = await call(t, admin, 'POST', `/api/workspaces/${workspaceId}/datasources`, {
    name: `rest-${Math.random().toString(36).slice(2, 8)}`,
    type: 'rest',
    config: { baseUrl },
    secrets: { bearerToken: { value: bearerToken } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Creates an app (as `editor`) and returns its id. */
export async function createApp(
  t: TestApp,
  editor: TestSession,
  workspaceId: string,
  name = 'App',
): Promise<string> {
  const res = await call(t, editor, 'POST', `/api/workspaces/${workspaceId}/apps`, { name });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Saves a query in an app and returns its id. */
export async function createQuery(
  t: TestApp,
  editor: TestSession,
  workspaceId: string,
  appId: string,
  input: {
    name: string;
    datasourceId: string;
    body: TQueryBody;
    params?: Partial<TQueryParamSpec>[];
    timeoutMs?: number;
    maxRows?: number;
  },
): Promise<string> {
  const res = await call(
    t,
    editor,
    'POST',
    `/api/workspaces/${workspaceId}/apps/${appId}/queries`,
    input,
  );
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export async function publish(
  t: TestApp,
  editor: TestSession,
  workspaceId: string,
  appId: string,
): Promise<void> {
  const res = await call(t, editor, 'POST', `/api/workspaces/${workspaceId}/apps/${appId}/publish`);
  expect(res.statusCode, res.body).toBe(200);
}

/** A new published app with one saved query (`q`) on `datasourceId`. */
export async function createPublishedQuery(
  t: TestApp,
  editor: TestSession,
  workspaceId: string,
  datasourceId: string,
  body: TQueryBody,
): Promise<{ appId: string; queryId: string }> {
  const appId = await createApp(
    t,
    editor,
    workspaceId,
    `App ${Math.random().toString(36).slice(2, 8)}`,
  );
  const queryId = await createQuery(t, editor, workspaceId, appId, {
    name: 'q',
    datasourceId,
    body,
  });
  await publish(t, editor, workspaceId, appId);
  return { appId, queryId };
}

/** Runs a saved query; `draft` adds `?draft=true`. */
export function runQuery(
  t: TestApp,
  session: TestSession,
  workspaceId: string,
  appId: string,
  queryId: string,
  body: Record<string, unknown> = { params: {} },
  draft = false,
) {
  return call(
    t,
    session,
    'POST',
    `/api/workspaces/${workspaceId}/apps/${appId}/queries/${queryId}/run${draft ? '?draft=true' : ''}`,
    body,
  );
}
