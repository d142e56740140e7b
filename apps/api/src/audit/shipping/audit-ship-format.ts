import { hostname } from 'node:os';
import type { AuditEventEntity } from '../audit-event.entity';
import type { AuditChainFields } from '../audit-hash';

/**
 * One entry as shipped to a SIEM (JSON, one object per entry): every field of the canonical
 * encoding (`audit-hash.ts`) plus the entry's `hash`, so a receiver can recompute each hash and
 * check each `prevHash` against the entry before it. `details` is the canonical JSON text,
 * exactly as hashed. `v` versions this shape.
 */
export type ShippedAuditEntry = Omit<AuditChainFields, 'occurredAt'> & {
  v: 1;
  /** ISO 8601 UTC with milliseconds, as hashed. */
  occurredAt: string;
  hash: string;
};

/** The shipped form of a stored entry (no other field: entries never hold secrets). */
export function toShippedEntry(e: AuditEventEntity): ShippedAuditEntry {
  return {
    v: 1,
    sequence: e.sequence,
    occurredAt: e.occurredAt.toISOString(),
    actorUserId: e.actorUserId,
    actorEmail: e.actorEmail,
    workspaceId: e.workspaceId,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    ip: e.ip,
    userAgent: e.userAgent,
    correlationId: e.correlationId,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** RFC 5424 PRI: facility 13 (log audit) x 8 + severity 6 (informational). */
export const SYSLOG_PRI = 13 * 8 + 6;
const BOM = '\uFEFF';

/** PRINTUSASCII (RFC 5424 §6), at most `max` characters; `-` (NILVALUE) when empty. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** HOSTNAME and PROCID of this process, computed once. */
export const SYSLOG_ORIGIN = { host: headerField(hostname(), 255), procId: String(process.pid) };

/**
 * One entry as an RFC 5424 syslog message: `<110>1 TIMESTAMP HOSTNAME bastion PROCID MSGID -
 * BOM{json}`. TIMESTAMP is the entry's `occurredAt`; MSGID its action (32 characters at most);
 * no structured data; MSG the {@link ShippedAuditEntry} JSON in UTF-8 with the BOM RFC 5424
 * §6.4 requires.
 */
export function syslogMessage(
  entry: ShippedAuditEntry,
  origin: { host: string; procId: string } = SYSLOG_ORIGIN,
): string {
  return (
    `<${SYSLOG_PRI}>1 ${entry.occurredAt} ${origin.host} bastion ${headerField(origin.procId, 128)} ` +
    `${headerField(entry.action, 32)} - ${BOM}${JSON.stringify(entry)}`
  );
}

/**
 * RFC 5425 §4.3 octet-counting framing: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN the message's length
 * in octets (UTF-8), so a message may hold any byte (no delimiter ambiguity).
 */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
