import { hash } from 'node:crypto';
import type { AuditDetails } from './audit-action';

/** `prev_hash` of the first entry of a fresh chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version tag, first element of the canonical encoding, so the encoding can evolve. */
export const AUDIT_HASH_VERSION = 'bastion-audit-v1';

/** The fields an entry's hash covers, in the order they are encoded. */
export interface AuditChainFields {
  sequence: number;
  occurredAt: Date;
  actorUserId: string | null;
  actorEmail: string | null;
  workspaceId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  correlationId: string | null;
  /** Canonical JSON of the details (see {@link canonicalDetails}), exactly as stored. */
  details: string;
  prevHash: string;
}

/**
 * Canonical JSON of a details object: keys sorted by UTF-16 code unit order, no whitespace,
 * arrays kept in order. The stored `details` column holds exactly this text.
 */
export function canonicalDetails(details: AuditDetails): string {
  const sorted: AuditDetails = {};
  for (const key of Object.keys(details).sort()) sorted[key] = details[key];
  return JSON.stringify(sorted);
}

/**
 * The canonical encoding an entry's hash is computed over: a JSON array (RFC 8259, as
 * `JSON.stringify` writes it) with a fixed field order:
 * `[version, sequence (decimal string), occurredAt (ISO 8601 UTC, milliseconds), actorUserId,
 * actorEmail, workspaceId, action, targetType, targetId, ip, userAgent, correlationId,
 * details (canonical JSON text), prevHash]`; absent values are `null`. An array (not an object)
 * fixes the order without relying on key sorting; JSON escaping makes the encoding injective.
 */
export function canonicalEncoding(f: AuditChainFields): string {
  return JSON.stringify([
    AUDIT_HASH_VERSION,
    String(f.sequence),
    f.occurredAt.toISOString(),
    f.actorUserId,
    f.actorEmail,
    f.workspaceId,
    f.action,
    f.targetType,
    f.targetId,
    f.ip,
    f.userAgent,
    f.correlationId,
    f.details,
    f.prevHash,
  ]);
}

/** SHA-256 (FIPS 180-4) of the UTF-8 canonical encoding, as 64 lower-case hex digits. */
export function computeAuditHash(f: AuditChainFields): string {
  return hash('sha256', canonicalEncoding(f), 'hex'); // a string is hashed as UTF-8
}
