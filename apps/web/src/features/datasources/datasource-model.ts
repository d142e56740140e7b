import type {
  TConnectionTestResult,
  TCreateDatasourceRequest,
  TDatasource,
  TDatasourceTypeInfo,
  TFieldSpec,
  TSecretUpdate,
  TUpdateDatasourceRequest,
} from '@bastion/contracts';

/**
 * Web-side names for the datasources contract (packages/contracts/src/datasource.contract.ts).
 * Reads carry `secrets: {field: {isSet}}`, never a value; updates carry, per secret field,
 * nothing (keep), `{value}` (replace) or `{clear: true}` (remove).
 */
export type FieldSpec = TFieldSpec;
export type FieldKind = TFieldSpec['kind'];
export type DatasourceTypeSpec = TDatasourceTypeInfo;
export type DatasourceView = TDatasource;
export type SecretUpdate = TSecretUpdate;
export type CreateDatasourceBody = TCreateDatasourceRequest;
export type UpdateDatasourceBody = TUpdateDatasourceRequest;
export type ConnectionTestResult = TConnectionTestResult;

/** Body of a connection test of the form's current values (nothing is saved). */
export interface TestBody {
  config: Record<string, unknown>;
  secrets: Record<string, SecretUpdate>;
}

/** A wildcard secret field (`header:*`) stores one secret per name: `header:X-Api-Key`. */
export function wildcardPrefix(spec: FieldSpec): string | null {
  return spec.name.endsWith(':*') ? spec.name.slice(0, -1) : null;
}
