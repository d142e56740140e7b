import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './audit-export';
import { AuditEventEntity } from './audit-event.entity';

describe('CSV export', () => {
  it('neutralises every formula lead character (OWASP CSV injection)', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      const cell = csvCell(`${lead}cmd|' /C calc'!A0`);
      expect(cell.replace(/^"/, '')).toMatch(/^'/);
    }
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1,2')).toBe(`"'=1,2"`);
  });

  it('writes one CRLF-terminated line of 14 cells per entry', () => {
    const e = Object.assign(new AuditEventEntity(), {
      sequence: 3,
      occurredAt: new Date('2026-01-01T00:00:00.000Z'),
      actorUserId: null,
      actorEmail: null,
      workspaceId: null,
      action: 'auth.login_failed',
      targetType: null,
      targetId: null,
      ip: '::1',
      userAgent: '@evil',
      correlationId: 'c',
      details: '{"email":"x@y.test"}',
      prevHash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
    });
    const line = csvLine(e);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(",'@evil,");
    expect(line).toContain(',"{""email"":""x@y.test""}",');
  });
});
