import type { EgressService } from '../egress.service';

/** What connectors need from the server: the egress policy and limits from config. */
export interface ConnectorDeps {
  egress: Pick<EgressService, 'resolve'>;
  /** Connections per datasource pool. */
  poolMax: number;
  /** Milliseconds after which an unused pool is closed. */
  poolIdleMs: number;
  /** Milliseconds allowed to open one connection. */
  connectTimeoutMs: number;
  /** Absolute folder holding one folder per workspace (`<sqliteDir>/<workspace id>/`). */
  sqliteDir: string;
  /** Files that are never a SQLite datasource: the metadata database and its journals. */
  forbiddenFiles: string[];
}
