import { AppException } from '../common/errors/app.exception';

export enum VaultErrorCode {
  /** A stored secret (or its datasource's data key) cannot be decrypted any more. */
  SecretUndecryptable = 'secret_undecryptable',
  /** A sealed instance secret (e.g. a TOTP seed) cannot be opened. */
  InstanceSecretUndecryptable = 'instance_secret_undecryptable',
  /** The datasource has no data key: a caller forgot `createDataKey` (a server bug). */
  DataKeyMissing = 'data_key_missing',
  /** `createDataKey` for a datasource that already has one (a server bug). */
  DataKeyExists = 'data_key_exists',
}

/** HTTP status of each vault error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForVaultError(code: VaultErrorCode): number {
  switch (code) {
    case VaultErrorCode.SecretUndecryptable:
    case VaultErrorCode.InstanceSecretUndecryptable:
      return 422;
    case VaultErrorCode.DataKeyMissing:
    case VaultErrorCode.DataKeyExists:
      return 500;
  }
}

/** A vault error; messages never hold key material, plaintext or stored ciphertext. */
export class VaultException extends AppException {
  readonly status: number;
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForVaultError(code);
  }
}

/** Thrown by `decryptSecret` when a secret cannot be decrypted; the user must re-enter it. */
export class VaultDecryptionException extends VaultException {
  constructor() {
    super(
      VaultErrorCode.SecretUndecryptable,
      'stored credentials can no longer be decrypted; re-enter them',
    );
  }
}

/**
 * The vault cannot start (missing or example key in production, wrong key for this database).
 * Thrown during boot so the server stops; the message names variables and fixes, never keys.
 */
export class VaultStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultStartupError';
  }
}
