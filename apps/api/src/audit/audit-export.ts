import type { TAuditEvent } from '@bastion/contracts';
import type { AuditDetails } from './audit-action';
import type { AuditEventEntity } from './audit-event.entity';

/** The API shape of a stored entry. */
export function toAuditEventDto(e: AuditEventEntity): TAuditEvent {
  return {
    sequence: String(e.sequence),
    occurredAt: e.occurredAt.toISOString(),
    actor: e.actorUserId !== null ? { userId: e.actorUserId, email: e.actorEmail ?? '' } : null,
    workspaceId: e.workspaceId,
    action: e.action as TAuditEvent['action'],
    target:
      e.targetType !== null && e.targetId !== null ? { type: e.targetType, id: e.targetId } : null,
    ip: e.ip,
    userAgent: e.userAgent,
    correlationId: e.correlationId,
    details: JSON.parse(e.details) as AuditDetails,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export const CSV_COLUMNS = [
  'sequence',
  'occurredAt',
  'actorUserId',
  'actorEmail',
  'workspaceId',
  'action',
  'targetType',
  'targetId',
  'ip',
  'userAgent',
  'correlationId',
  'details',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Formula injection (OWASP "CSV Injection"): a cell starting with `=`, `+`, `-`, `@`, tab or
 * CR gets a leading `'`, so a spreadsheet shows it as text instead of running it.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  let text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  if (/[",\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** The CSV header line, CRLF-terminated (RFC 4180). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One entry as a CSV line, CRLF-terminated; `details` is its canonical JSON. */
export function csvLine(e: AuditEventEntity): string {
  const cells: (string | null)[] = [
    String(e.sequence),
    e.occurredAt.toISOString(),
    e.actorUserId,
    e.actorEmail,
    e.workspaceId,
    e.action,
    e.targetType,
    e.targetId,
    e.ip,
    e.userAgent,
    e.correlationId,
    e.details,
    e.prevHash,
    e.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** One entry as a JSON Lines record (https://jsonlines.org): the API shape, LF-terminated. */
export function jsonLine(e: AuditEventEntity): string {
  return `${JSON.stringify(toAuditEventDto(e))}\n`;
}
