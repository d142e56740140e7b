import { randomBytes, scrypt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import {
  EXAMPLE_ENCRYPTION_PASSWORDS,
  generateKeyringEntry,
  isExampleKey,
  Kek,
  Keyring,
  parseKeyring,
  VaultKeyConfigError,
} from './keyring';
import { VaultStartupError } from './vault.exception';

/** File name of the key generated on a first start without a configured key (not production). */
export const GENERATED_KEY_FILE = 'vault.key';
/** Key id of the KEK derived from ENCRYPTION_PASSWORD + ENCRYPTION_SALT. */
export const SCRYPT_KEK_ID = 'scrypt';

/**
 * scrypt parameters for ENCRYPTION_PASSWORD: N=2^17, r=8, p=1, 32-byte output. This is the
 * OWASP Password Storage Cheat Sheet's scrypt recommendation (N=2^17, r=8, p=1), within the
 * bounds of RFC 7914. Cost: 128 * N * r = 128 MiB of memory and ~0.3 s, once per boot.
 */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;

/** What the loader reports (the generated file path, warnings); never key material. */
export interface KeyringLoaderLog {
  log(message: string): void;
  warn(message: string): void;
}

function deriveScryptKek(password: string, salt: string): Promise<Kek> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, SCRYPT_PARAMS, (error, key) => {
      if (error) {
        // The error text of scrypt names limits, not inputs; still, keep it generic.
        reject(new VaultKeyConfigError('ENCRYPTION_PASSWORD: scrypt key derivation failed'));
        return;
      }
      const kek = new Kek(SCRYPT_KEK_ID, key);
      key.fill(0);
      resolve(kek);
    });
  });
}

const PRODUCTION_NO_KEY =
  'the credential vault has no key: VAULT_KEYS is not set and NODE_ENV=production. ' +
  'Fix: run `pnpm cli vault generate-key` and set VAULT_KEYS to the line it prints ' +
  '(or set ENCRYPTION_PASSWORD and ENCRYPTION_SALT); keep that value in your secret store, ' +
  'without it the stored credentials cannot be decrypted.';

/** Reads `<dataDir>/vault.key` or creates it (mode 0600) with a fresh random key. */
function loadOrCreateGeneratedKey(dataDir: string, log: KeyringLoaderLog): Kek {
  const path = join(dataDir, GENERATED_KEY_FILE);
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      log.warn(`vault key file ${path} was readable by other users; its mode is now 0600`);
    }
    const keks = parseKeyring(readFileSync(path, 'utf8'), `the key file ${path}`);
    log.log(`credential vault: using the generated key in ${path} (VAULT_KEYS is not set)`);
    return keks[0];
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // A unique id, so a wrong-key message can tell two generated keys apart.
  const entry = generateKeyringEntry(`local-${randomBytes(3).toString('hex')}`);
  // `wx` fails if another process created the file meanwhile: never overwrite a key.
  writeFileSync(path, `${entry}\n`, { mode: 0o600, flag: 'wx' });
  log.warn(
    `credential vault: no key configured; generated a random key into ${path} (mode 0600). ` +
      'Back it up: without it the stored credentials cannot be decrypted. ' +
      'For production, set VAULT_KEYS (see `pnpm cli vault generate-key`).',
  );
  return parseKeyring(entry, `the key file ${path}`)[0];
}

/**
 * Builds the keyring from the boot-time config, once. Order of sources:
 * 1. `VAULT_KEYS` (first entry active); if `ENCRYPTION_PASSWORD` is also set, its scrypt key
 *    is appended as an older key with id `scrypt`, so a move from password to keyring can be
 *    finished with `vault rotate`.
 * 2. `ENCRYPTION_PASSWORD` + `ENCRYPTION_SALT` via scrypt ({@link SCRYPT_PARAMS}), id `scrypt`.
 * 3. Outside production only: `<dataDir>/vault.key`, generated on first start.
 * @throws VaultStartupError in production without a key, or when the active key is an
 *   example from the docs; VaultKeyConfigError when a variable is malformed. Messages name
 *   variables, never values.
 */
export async function loadKeyring(config: AppConfig, log: KeyringLoaderLog): Promise<Keyring> {
  const { keyring: keyringText, password, salt } = config.vault;
  let keyring: Keyring;
  if (keyringText) {
    const keks = parseKeyring(keyringText);
    if (password && salt) {
      if (keks.some((k) => k.id === SCRYPT_KEK_ID)) {
        throw new VaultKeyConfigError(
          `VAULT_KEYS: key id "${SCRYPT_KEK_ID}" is reserved for ENCRYPTION_PASSWORD when both are set`,
        );
      }
      keks.push(await deriveScryptKek(password, salt));
    }
    keyring = new Keyring(keks, 'VAULT_KEYS');
  } else if (password && salt) {
    if (config.isProduction && EXAMPLE_ENCRYPTION_PASSWORDS.includes(password.toLowerCase())) {
      throw new VaultStartupError(
        'ENCRYPTION_PASSWORD is a placeholder from the docs and NODE_ENV=production. ' +
          'Fix: set VAULT_KEYS from `pnpm cli vault generate-key` (or a long random password).',
      );
    }
    keyring = new Keyring([await deriveScryptKek(password, salt)], 'ENCRYPTION_PASSWORD');
  } else if (config.isProduction) {
    const generated = join(config.dataDir, GENERATED_KEY_FILE);
    throw new VaultStartupError(
      existsSync(generated)
        ? `${PRODUCTION_NO_KEY} The data folder holds a key generated in development (${generated}); to keep using it, set VAULT_KEYS to that file's content.`
        : PRODUCTION_NO_KEY,
    );
  } else {
    keyring = new Keyring([loadOrCreateGeneratedKey(config.dataDir, log)], 'generated-file');
  }

  if (isExampleKey(keyring.active)) {
    const message =
      `VAULT_KEYS: the active key "${keyring.active.id}" is an example key published in the docs; ` +
      'anyone can decrypt what it protects. Fix: run `pnpm cli vault generate-key`, put the new ' +
      'entry first in VAULT_KEYS, then run `pnpm cli vault rotate`.';
    if (config.isProduction) throw new VaultStartupError(message);
    log.warn(message);
  }
  for (const kek of keyring.keks.slice(1)) {
    if (isExampleKey(kek)) {
      log.warn(`VAULT_KEYS: older key "${kek.id}" is an example key; rotate and then remove it`);
    }
  }
  log.log(
    `credential vault: ${keyring.keks.length} key(s) from ${keyring.source}, active "${keyring.active.id}"`,
  );
  return keyring;
}
