import { describe, expect, it } from 'vitest';
import { computeAuditHash, GENESIS_HASH } from '../audit-hash';
import { AuditEventEntity } from '../audit-event.entity';
import { octetCountedFrame, syslogMessage, toShippedEntry } from './audit-ship-format';

function entry(): AuditEventEntity {
  const e = Object.assign(new AuditEventEntity(), {
    sequence: 7,
    occurredAt: new Date('2026-12-06T07:00:00.123Z'),
    actorUserId: null,
    actorEmail: 'zoë@example.test',
    workspaceId: null,
    action: 'auth.login_failed',
    targetType: null,
    targetId: null,
    ip: '192.0.2.1',
    userAgent: 'agent with spaces\nand a newline',
    correlationId: null,
    details: '{"reason":"bad_password"}',
    prevHash: GENESIS_HASH,
    hash: '',
  });
  e.hash = computeAuditHash(e);
  return e;
}

describe('shipped audit entries', () => {
  it('carry every hashed field, so a receiver recomputes the hash', () => {
    const shipped = toShippedEntry(entry());
    const back = JSON.parse(JSON.stringify(shipped)) as typeof shipped;
    expect(computeAuditHash({ ...back, occurredAt: new Date(back.occurredAt) })).toBe(back.hash);
  });

  it('are RFC 5424 messages (PRI 110, version 1, MSGID = action, BOM before the JSON)', () => {
    const msg = syslogMessage(toShippedEntry(entry()), { host: 'bastion-1', procId: '42' });
    expect(msg).toMatch(
      /^<110>1 2026-12-06T07:00:00\.123Z bastion-1 bastion 42 auth\.login_failed - \uFEFF\{/,
    );
    // One line: JSON escapes the newline of the user agent.
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('are framed by octet counting (RFC 5425 §4.3): the length counts UTF-8 bytes', () => {
    const frame = octetCountedFrame('ö');
    expect(frame.toString('utf8')).toBe('2 ö');
    const msg = syslogMessage(toShippedEntry(entry()));
    const framed = octetCountedFrame(msg);
    const space = framed.indexOf(0x20);
    expect(Number(framed.subarray(0, space).toString())).toBe(Buffer.byteLength(msg, 'utf8'));
  });
});
