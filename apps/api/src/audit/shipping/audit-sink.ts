import type { ShippedAuditEntry } from './audit-ship-format';

/**
 * A SIEM receiver. The shipper hands it entries in sequence order, one batch at a time, and
 * asks which sequence it may record as delivered; after a failure it calls {@link reset} and
 * sends again from there (at least once).
 */
export interface AuditSink {
  /** `syslog` or `http`: the cursor row's key. */
  readonly name: string;
  /**
   * Sends `entries` (in order, non-empty).
   * @throws Error when the receiver cannot be reached or refuses; its message names no secret
   */
  send(entries: ShippedAuditEntry[]): Promise<void>;
  /** The last sequence the receiver is known to have (0 when none yet). */
  confirmedThrough(now?: number): number;
  /** Drops the connection after a failure; the next send reconnects. */
  reset(): void;
  /** Closes the connection for good (shutdown). */
  close(): Promise<void>;
}
