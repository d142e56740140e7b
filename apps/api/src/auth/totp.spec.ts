import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCode } from './recovery-codes';
import { generateTotpSecret, matchTotpStep, TOTP_STEP_SECONDS, totpCodeAt } from './totp';

const STEP = TOTP_STEP_SECONDS * 1000;

describe('matchTotpStep (RFC 6238, ±1 step)', () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (base32 below), 6 digits.
  const RFC_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('matches the RFC 6238 test vectors', () => {
    expect(totpCodeAt(RFC_SEED, 59_000)).toBe('287082');
    expect(totpCodeAt(RFC_SEED, 1_111_111_109_000)).toBe('081804');
    expect(matchTotpStep('287082', RFC_SEED, 59_000)).toBe(1);
  });

  it('accepts the previous, current and next step and nothing further', () => {
    const secret = generateTotpSecret();
    const now = 1_700_000_015_000;
    const step = Math.floor(now / STEP);
    for (const d of [-1, 0, 1]) {
      expect(matchTotpStep(totpCodeAt(secret, now + d * STEP), secret, now)).toBe(step + d);
    }
    for (const d of [-3, -2, 2, 3]) {
      expect(matchTotpStep(totpCodeAt(secret, now + d * STEP), secret, now)).toBeNull();
    }
    expect(matchTotpStep('12345', secret, now)).toBeNull();
    expect(matchTotpStep('abcdef', secret, now)).toBeNull();
  });
});

describe('recovery codes', () => {
  it('are 128-bit, distinct, and hash the same however they are typed', () => {
    const codes = new Set(Array.from({ length: 200 }, newRecoveryCode));
    expect(codes.size).toBe(200);
    const code = [...codes][0];
    expect(code.replace(/-/g, '')).toMatch(/^[0-9a-f]{32}$/);
    expect(looksLikeRecoveryCode(code.toUpperCase())).toBe(true);
    expect(hashRecoveryCode(` ${code.toUpperCase()} `)).toBe(hashRecoveryCode(code));
    expect(hashRecoveryCode(code)).not.toContain(code.replace(/-/g, ''));
  });
});
