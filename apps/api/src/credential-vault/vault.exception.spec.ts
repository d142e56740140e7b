import { describe, expect, it } from 'vitest';
import {
  httpStatusForVaultError,
  VaultDecryptionException,
  VaultErrorCode,
} from './vault.exception';

describe('vault exceptions', () => {
  it('map every code to a status', () => {
    for (const code of Object.values(VaultErrorCode)) {
      expect(httpStatusForVaultError(code)).toBeGreaterThanOrEqual(400);
    }
  });

  it('decryption failure is a 422 asking to re-enter the credentials', () => {
    const e = new VaultDecryptionException();
    expect(e.status).toBe(422);
    expect(e.code).toBe('secret_undecryptable');
    expect(e.message).toBe('stored credentials can no longer be decrypted; re-enter them');
  });
});
