import { z } from 'zod';

/**
 * Apps: a definition (pages of components whose props may hold `{{ query1.data }}` /
 * `{{ input1.value }}` bindings, evaluated by the web app) plus saved queries. The draft is
 * edited; publishing freezes a copy of the definition and of every query, which viewers use.
 */

const ZName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(64)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must start with a letter or _ and hold only letters, digits and _',
  );

export const ZComponentType = z.enum([
  'table',
  'text',
  'textInput',
  'numberInput',
  'select',
  'button',
  'chart',
]);
export type TComponentType = z.infer<typeof ZComponentType>;

export const ZComponentEvent = z.object({
  on: z.enum(['click', 'success']),
  action: z.literal('runQuery'),
  queryId: z.uuid(),
});

export const ZComponent = z.object({
  id: ZName,
  type: ZComponentType,
  layout: z.object({
    x: z.number().int().min(0).max(1000),
    y: z.number().int().min(0).max(100_000),
    w: z.number().int().min(1).max(1000),
    h: z.number().int().min(1).max(100_000),
  }),
  /** Literal values or binding strings such as `{{ query1.data }}`. */
  props: z.record(
    z.string().max(64),
    z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]),
  ),
  events: z.array(ZComponentEvent).max(20).optional(),
});
export type TComponent = z.infer<typeof ZComponent>;

export const ZPage = z.object({
  id: ZName,
  name: z.string().trim().min(1).max(120),
  components: z.array(ZComponent).max(500),
});
export type TPage = z.infer<typeof ZPage>;

export const ZAppDefinition = z
  .object({ pages: z.array(ZPage).min(1, 'needs at least one page').max(50) })
  .superRefine((def, ctx) => {
    const seen = new Set<string>();
    def.pages.forEach((page, p) =>
      page.components.forEach((c, i) => {
        if (seen.has(c.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pages', p, 'components', i, 'id'],
            message: `duplicate component id "${c.id}"`,
          });
        }
        seen.add(c.id);
      }),
    );
  });
export type TAppDefinition = z.infer<typeof ZAppDefinition>;

/** A blank app: one empty page. */
export const EMPTY_APP_DEFINITION: TAppDefinition = {
  pages: [{ id: 'page1', name: 'Page 1', components: [] }],
};

/** `POST /api/workspaces/:wid/apps`. */
export const ZCreateAppRequest = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(120),
  definition: ZAppDefinition.optional(),
});
export type TCreateAppRequest = z.infer<typeof ZCreateAppRequest>;

/** `PATCH /api/workspaces/:wid/apps/:appId`: edits the draft only. */
export const ZUpdateAppRequest = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(120).optional(),
  definition: ZAppDefinition.optional(),
});
export type TUpdateAppRequest = z.infer<typeof ZUpdateAppRequest>;

/**
 * A declared parameter of a saved query; the run request must match these. `number` is a JSON
 * number within ±(2^53 - 1) (every integer in it is exact); `integer` is a signed 64-bit integer
 * carried as a decimal string (`"9007199254740993"`; a JSON number is accepted while it is a safe
 * integer) and bound as the database's int8 / BIGINT / INTEGER.
 */
export const ZQueryParamSpec = z.object({
  name: ZName,
  type: z.enum(['string', 'number', 'integer', 'boolean', 'json']),
  required: z.boolean().default(true),
  default: z.unknown().optional(),
});
export type TQueryParamSpec = z.infer<typeof ZQueryParamSpec>;

/** SQL body: `{{ name }}` placeholders become the driver's bind parameters. */
export const ZSqlQueryBody = z.strictObject({
  sql: z
    .string()
    .min(1, 'is required')
    .max(100_000)
    // PostgreSQL refuses NUL in statement text as a protocol violation, which ends the connection.
    .refine((sql) => !sql.includes('\u0000'), 'must not contain NUL characters'),
});
export type TSqlQueryBody = z.infer<typeof ZSqlQueryBody>;

/** JSON value type used in REST bodies. */
export type TJsonValue =
  | string
  | number
  | boolean
  | null
  | TJsonValue[]
  | { [key: string]: TJsonValue };
export const ZJsonValue: z.ZodType<TJsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(ZJsonValue),
    z.record(z.string(), ZJsonValue),
  ]),
);

/**
 * REST body: path, query values, header values and string leaves of the JSON body may hold
 * `{{ name }}`; each is encoded for its position on the server.
 */
export const ZRestQueryBody = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().max(2_000).default(''),
  headers: z.record(z.string().min(1).max(128), z.string().max(4_000)).optional(),
  query: z.record(z.string().min(1).max(256), z.string().max(4_000)).optional(),
  body: ZJsonValue.optional(),
});
export type TRestQueryBody = z.infer<typeof ZRestQueryBody>;

export const ZQueryBody = z.union([ZSqlQueryBody, ZRestQueryBody]);
export type TQueryBody = z.infer<typeof ZQueryBody>;

/** `POST /api/workspaces/:wid/apps/:appId/queries`. Units: milliseconds, rows. */
export const ZCreateQueryRequest = z.strictObject({
  name: ZName,
  datasourceId: z.uuid(),
  body: ZQueryBody,
  params: z.array(ZQueryParamSpec).max(50).default([]),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  maxRows: z.number().int().min(1).max(1_000_000).optional(),
});
export type TCreateQueryRequest = z.infer<typeof ZCreateQueryRequest>;

/** `PATCH /api/workspaces/:wid/apps/:appId/queries/:queryId`: edits the draft query. */
export const ZUpdateQueryRequest = z.strictObject({
  name: ZName.optional(),
  datasourceId: z.uuid().optional(),
  body: ZQueryBody.optional(),
  params: z.array(ZQueryParamSpec).max(50).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).nullable().optional(),
  maxRows: z.number().int().min(1).max(1_000_000).nullable().optional(),
});
export type TUpdateQueryRequest = z.infer<typeof ZUpdateQueryRequest>;

/** Names of what was added, removed or changed (components by id, queries by name). */
export const ZChangeSet = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
});
export type TChangeSet = z.infer<typeof ZChangeSet>;

/**
 * What changed between two states of an app (a revision and the one before it, or the draft
 * and the published copy): components by id, queries by name, and whether the name changed.
 */
export const ZRevisionSummary = z.object({
  components: ZChangeSet,
  queries: ZChangeSet,
  renamed: z.boolean(),
});
export type TRevisionSummary = z.infer<typeof ZRevisionSummary>;

/** A saved (draft) query as editors see it. */
export const ZSavedQuery = z.object({
  id: z.uuid(),
  appId: z.uuid(),
  name: z.string(),
  datasourceId: z.uuid(),
  body: ZQueryBody,
  params: z.array(ZQueryParamSpec),
  timeoutMs: z.number().nullable(),
  maxRows: z.number().nullable(),
  /** Optimistic-concurrency version: send it back as `If-Match: "<version>"` on PATCH. */
  version: z.number().int(),
  updatedAt: z.string(),
});
export type TSavedQuery = z.infer<typeof ZSavedQuery>;

/** An app as editors see it: the draft, its queries and when it was last published. */
export const ZApp = z.object({
  id: z.uuid(),
  name: z.string(),
  definition: ZAppDefinition,
  queries: z.array(ZSavedQuery),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Optimistic-concurrency version of the name and definition: `If-Match: "<version>"` on PATCH. */
  version: z.number().int(),
  /** How the draft differs from the published copy; null when equal or never published. */
  unpublishedChanges: z.object({ summary: ZRevisionSummary }).nullable(),
});
export type TApp = z.infer<typeof ZApp>;

/**
 * One entry of `GET /api/workspaces/:wid/apps/:appId/revisions` (newest first). `version` is
 * the revision's number in this app's history (1 = the first save); `appVersion` the app's
 * definition version it holds.
 */
export const ZAppRevision = z.object({
  id: z.uuid(),
  version: z.number().int(),
  appVersion: z.number().int(),
  authorId: z.string().nullable(),
  authorEmail: z.string().nullable(),
  createdAt: z.string(),
  published: z.boolean(),
  /** Set when this revision was made by restoring another: that revision's number. */
  restoredFrom: z.number().int().nullable(),
  summary: ZRevisionSummary,
});
export type TAppRevision = z.infer<typeof ZAppRevision>;

/** `GET .../revisions?before=<version>&limit=<n>`: newest first, at most `limit` (1..100, 50). */
export const ZListRevisionsQuery = z.strictObject({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type TListRevisionsQuery = z.infer<typeof ZListRevisionsQuery>;

/** `GET /api/workspaces/:wid/apps` item. Viewers see only published apps. */
export const ZAppSummary = z.object({
  id: z.uuid(),
  name: z.string(),
  publishedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type TAppSummary = z.infer<typeof ZAppSummary>;

/**
 * `GET /api/workspaces/:wid/apps/:appId/published` (viewers): the frozen definition and, per
 * query, only its id, name and parameters: no query text, no datasource.
 */
export const ZPublishedApp = z.object({
  id: z.uuid(),
  name: z.string(),
  definition: ZAppDefinition,
  queries: z.array(z.object({ id: z.uuid(), name: z.string(), params: z.array(ZQueryParamSpec) })),
  publishedAt: z.string(),
});
export type TPublishedApp = z.infer<typeof ZPublishedApp>;
