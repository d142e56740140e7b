import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditChainFields,
  canonicalDetails,
  canonicalEncoding,
  computeAuditHash,
  GENESIS_HASH,
} from './audit-hash';

const base: AuditChainFields = {
  sequence: 7,
  occurredAt: new Date('2026-01-02T03:04:05.678Z'),
  actorUserId: '11111111-1111-4111-8111-111111111111',
  actorEmail: 'a@example.test',
  workspaceId: '22222222-2222-4222-8222-222222222222',
  action: 'member.added',
  targetType: 'user',
  targetId: '33333333-3333-4333-8333-333333333333',
  ip: '127.0.0.1',
  userAgent: 'ua',
  correlationId: 'c-1',
  details: canonicalDetails({ role: 'viewer', email: 'b@example.test' }),
  prevHash: GENESIS_HASH,
};

describe('audit hash', () => {
  it('encodes a fixed field order with sorted detail keys and ISO time', () => {
    expect(canonicalEncoding(base)).toBe(
      '["bastion-audit-v1","7","2026-01-02T03:04:05.678Z","11111111-1111-4111-8111-111111111111",' +
        '"a@example.test","22222222-2222-4222-8222-222222222222","member.added","user",' +
        '"33333333-3333-4333-8333-333333333333","127.0.0.1","ua","c-1",' +
        '"{\\"email\\":\\"b@example.test\\",\\"role\\":\\"viewer\\"}",' +
        `"${GENESIS_HASH}"]`,
    );
    expect(computeAuditHash(base)).toBe(
      createHash('sha256').update(canonicalEncoding(base)).digest('hex'),
    );
    // Non-ASCII text is hashed as its UTF-8 bytes (an existing chain must still verify).
    const wide = { ...base, userAgent: 'Zoë 🙂 ✓' };
    expect(computeAuditHash(wide)).toBe(
      createHash('sha256')
        .update(Buffer.from(canonicalEncoding(wide), 'utf8'))
        .digest('hex'),
    );
  });

  it('key order of details does not change the hash', () => {
    const a = canonicalDetails({ b: 1, a: ['x', 'y'], c: null });
    const b = canonicalDetails({ c: null, a: ['x', 'y'], b: 1 });
    expect(a).toBe(b);
  });

  it('every field, including prev_hash, changes the hash', () => {
    const h = computeAuditHash(base);
    const variants: Partial<AuditChainFields>[] = [
      { sequence: 8 },
      { occurredAt: new Date('2026-01-02T03:04:05.679Z') },
      { actorUserId: null },
      { actorEmail: 'A@example.test' },
      { workspaceId: null },
      { action: 'member.role_changed' },
      { targetType: null },
      { targetId: 'x' },
      { ip: '127.0.0.2' },
      { userAgent: null },
      { correlationId: 'c-2' },
      { details: canonicalDetails({ role: 'admin', email: 'b@example.test' }) },
      { prevHash: 'f'.repeat(64) },
    ];
    for (const v of variants) expect(computeAuditHash({ ...base, ...v })).not.toBe(h);
  });

  it('is injective across field boundaries (no separator ambiguity)', () => {
    const x = computeAuditHash({ ...base, targetType: 'us', targetId: 'er|x' });
    const y = computeAuditHash({ ...base, targetType: 'us|er', targetId: 'x' });
    const z = computeAuditHash({ ...base, targetType: null, targetId: 'null' });
    const w = computeAuditHash({ ...base, targetType: 'null', targetId: 'null' });
    expect(new Set([x, y, z, w]).size).toBe(4);
  });
});
