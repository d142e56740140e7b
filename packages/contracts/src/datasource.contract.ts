import { z } from 'zod';

/** Datasource types the server has connectors for. */
export const ZDatasourceType = z.enum(['postgres', 'mysql', 'sqlite', 'rest']);
export type TDatasourceType = z.infer<typeof ZDatasourceType>;

/** One form field of a connector; the editor renders forms from these. */
export const ZFieldSpec = z.object({
  name: z.string(),
  label: z.string(),
  kind: z.enum(['string', 'number', 'boolean', 'select', 'text', 'keyValue', 'password']),
  required: z.boolean(),
  help: z.string().optional(),
  placeholder: z.string().optional(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
  defaultValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
});
export type TFieldSpec = z.infer<typeof ZFieldSpec>;

/**
 * `GET /api/datasource-types`: the catalog. `targetFields` are the config fields whose change
 * re-points a datasource (every set secret must then be given again).
 */
export const ZDatasourceTypeInfo = z.object({
  type: ZDatasourceType,
  label: z.string(),
  configFields: z.array(ZFieldSpec),
  secretFields: z.array(ZFieldSpec),
  targetFields: z.array(z.string()),
});
export type TDatasourceTypeInfo = z.infer<typeof ZDatasourceTypeInfo>;
export const ZDatasourceTypeCatalog = z.array(ZDatasourceTypeInfo);
export type TDatasourceTypeCatalog = z.infer<typeof ZDatasourceTypeCatalog>;

/** `GET /api/egress`: addresses to allow in the datasource's firewall (`PUBLIC_EGRESS_IPS`). */
export const ZEgressInfo = z.object({ publicIps: z.array(z.string()) });
export type TEgressInfo = z.infer<typeof ZEgressInfo>;

/** Secret field names: fixed (`password`) or dynamic (`header:X-Api-Key`, `query:api_key`). */
const ZSecretFieldName = z.string().min(1).max(160);
const ZSecretValue = z.string().max(65_536);

/** A secret given on create: its value. */
export const ZSecretSet = z.object({ value: ZSecretValue }).strict();

/**
 * A secret on update: `{value}` replaces, `{clear:true}` removes; leave the key out to keep
 * the stored value. `null` or any other shape is invalid (400). A placeholder text such as
 * `********` is a value like any other: the server never treats a string specially.
 */
export const ZSecretUpdate = z.union([
  z.object({ value: ZSecretValue }).strict(),
  z.object({ clear: z.literal(true) }).strict(),
]);
export type TSecretUpdate = z.infer<typeof ZSecretUpdate>;

const ZConfig = z.record(z.string(), z.unknown());

/** `POST /api/workspaces/:wid/datasources` (admin). */
export const ZCreateDatasourceRequest = z
  .object({
    name: z.string().trim().min(1, 'is required').max(120),
    type: ZDatasourceType,
    config: ZConfig,
    secrets: z.record(ZSecretFieldName, ZSecretSet).default({}),
  })
  .strict();
export type TCreateDatasourceRequest = z.infer<typeof ZCreateDatasourceRequest>;

/**
 * `PATCH /api/workspaces/:wid/datasources/:id` (admin). `config` is merged over the stored
 * config (a key set to `null` is removed).
 */
export const ZUpdateDatasourceRequest = z
  .object({
    name: z.string().trim().min(1, 'is required').max(120).optional(),
    config: ZConfig.optional(),
    secrets: z.record(ZSecretFieldName, ZSecretUpdate).optional(),
  })
  .strict();
export type TUpdateDatasourceRequest = z.infer<typeof ZUpdateDatasourceRequest>;

/**
 * `POST .../datasources/:id/test` (editor): optional config and secrets merged over the stored
 * ones for this test only (nothing is saved).
 */
export const ZTestDatasourceRequest = z
  .object({
    config: ZConfig.optional(),
    secrets: z.record(ZSecretFieldName, ZSecretUpdate).optional(),
  })
  .strict();
export type TTestDatasourceRequest = z.infer<typeof ZTestDatasourceRequest>;

/** `POST .../datasources/test` (editor): an unsaved datasource, for the create form. */
export const ZTestNewDatasourceRequest = z
  .object({
    type: ZDatasourceType,
    config: ZConfig,
    secrets: z.record(ZSecretFieldName, ZSecretSet).default({}),
  })
  .strict();
export type TTestNewDatasourceRequest = z.infer<typeof ZTestNewDatasourceRequest>;

/** A datasource as the API returns it: secrets only as `{isSet}`, never a value or ciphertext. */
export const ZDatasource = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  name: z.string(),
  type: ZDatasourceType,
  config: ZConfig,
  secrets: z.record(z.string(), z.object({ isSet: z.boolean() })),
  /** True when the stored credentials cannot be decrypted: they must be entered again. */
  needsReentry: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TDatasource = z.infer<typeof ZDatasource>;

/** `POST .../test`: `message` is clear and secret-free. */
export const ZConnectionTestResult = z.object({ ok: z.boolean(), message: z.string() });
export type TConnectionTestResult = z.infer<typeof ZConnectionTestResult>;
