import type { Connector } from './connector';

/**
 * What the datasources module needs from a connector beyond the fixed interface in
 * `connector.ts` (which the query proxy consumes): secret-field naming rules, moving
 * credentials out of config, and closing pools.
 */
export interface ConnectorExtras {
  /** True when `field` may be stored as a secret of this type (fixed or dynamic names). */
  acceptsSecretField(field: string): boolean;
  /**
   * Moves credentials embedded in raw config (URL userinfo, secret-looking query parameters
   * or headers) into secrets, before validation, so they are never stored in the clear.
   */
  extractSecrets(config: Record<string, unknown>): {
    config: Record<string, unknown>;
    secrets: Record<string, string>;
  };
  /** Closes every pool (all versions) of one datasource; awaits their shutdown. */
  closePools(datasourceId: string): Promise<void>;
  /** Closes every pool (module shutdown). */
  closeAll(): Promise<void>;
}

export type ManagedConnector = Connector & ConnectorExtras;
