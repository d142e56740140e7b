import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { VaultReadiness } from '../health/health.service';
import { aadOf } from './aead';
import { DataKey } from './data-key';
import type { Kek, Keyring } from './keyring';
import { CANARY_PLAINTEXT, VaultCanaryEntity } from './vault-canary.entity';
import { VaultCanaryRepository } from './vault-canary.repository';
import { VaultDataKeyRepository } from './vault-data-key.repository';
import { VaultStartupError } from './vault.exception';
import { VAULT_KEYRING } from './vault-keyring.provider';

/** The exact first sentence of the wrong-key error (tests and docs refer to it). */
export const WRONG_KEY_MESSAGE =
  'the configured encryption key is not the one this database was written with';

function canaryAad(kekId: string): Buffer {
  return aadOf('bastion.canary.v1', kekId);
}

/** Seals the canary value under `kek`: `v1.<nonce>.<ciphertext||tag>`. */
export function sealCanary(kek: Kek): string {
  return `v1.${kek.seal(Buffer.from(CANARY_PLAINTEXT, 'utf8'), canaryAad(kek.id))}`;
}

/** True when `sealed` is the canary value sealed under `kek`. */
export function openCanary(kek: Kek, sealed: string): boolean {
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return false;
  const plain = kek.open(parts[1], parts[2], canaryAad(kek.id));
  return plain !== null && plain.toString('utf8') === CANARY_PLAINTEXT;
}

/**
 * The boot check: at first boot seals a known value (the canary) under the active KEK; at every
 * boot opens it. A wrong key throws during module init, so the server stops before it could
 * write anything under the wrong key. Also the vault's readiness for /api/health.
 */
@Injectable()
export class VaultCanaryService implements OnModuleInit, VaultReadiness {
  private readonly logger = new Logger('CredentialVault');
  private ready = false;

  constructor(
    @Inject(VAULT_KEYRING) private readonly keyring: Keyring,
    private readonly canaries: VaultCanaryRepository,
    private readonly dataKeys: VaultDataKeyRepository,
  ) {}

  isReady(): boolean {
    return this.ready;
  }

  /** @throws VaultStartupError with {@link WRONG_KEY_MESSAGE} when the key does not match. */
  async onModuleInit(): Promise<void> {
    let canary = await this.canaries.get();
    if (!canary) {
      await this.assertDataKeysMatch();
      const active = this.keyring.active;
      if (await this.canaries.insert(active.id, sealCanary(active))) {
        this.logger.log(`credential vault: canary sealed under key "${active.id}" (first boot)`);
      }
      canary = await this.canaries.get();
    }
    if (!canary)
      throw new VaultStartupError('credential vault: the canary row vanished during boot');
    this.verify(canary);
    this.ready = true;
    await this.reportPendingRotation();
  }

  /** Throws the wrong-key error unless the canary opens under the KEK it names. */
  verify(canary: VaultCanaryEntity): void {
    const kek = this.keyring.get(canary.kekId);
    if (!kek || !openCanary(kek, canary.sealed)) throw this.wrongKeyError(canary.kekId);
  }

  /**
   * Re-seals the canary under the active KEK (end of `vault rotate`).
   * @returns 'resealed', or 'current' when it already was under the active KEK.
   */
  async reseal(): Promise<'resealed' | 'current'> {
    const canary = await this.canaries.get();
    if (!canary) throw new VaultStartupError('credential vault: no canary row');
    const active = this.keyring.active;
    if (canary.kekId === active.id) return 'current';
    this.verify(canary);
    const replaced = await this.canaries.replace(canary, active.id, sealCanary(active));
    return replaced ? 'resealed' : 'current';
  }

  /** The canary's KEK id and whether it opens (for `vault check`). */
  async status(): Promise<{ kekId: string | null; ok: boolean }> {
    const canary = await this.canaries.get();
    if (!canary) return { kekId: null, ok: false };
    const kek = this.keyring.get(canary.kekId);
    return { kekId: canary.kekId, ok: kek !== undefined && openCanary(kek, canary.sealed) };
  }

  /**
   * A database written before the canary existed (or whose canary row was deleted) still has
   * data keys: when none of a sample unwraps, the key is wrong, and sealing a new canary would
   * hide that. Refuse instead.
   */
  private async assertDataKeysMatch(): Promise<void> {
    const sample = await this.dataKeys.listAfter('', 20);
    if (sample.length === 0) return;
    const readable = sample.some((row) => {
      const kek = this.keyring.get(row.kekId);
      return (
        kek !== undefined &&
        DataKey.unwrap(kek, row.wrappedKey, row.workspaceId, row.datasourceId) !== null
      );
    });
    if (!readable) throw this.wrongKeyError(sample[0].kekId);
  }

  private wrongKeyError(kekId: string): VaultStartupError {
    return new VaultStartupError(
      `${WRONG_KEY_MESSAGE} (it was sealed with key id "${kekId}"; configured: ` +
        `${this.keyring.ids.map((id) => `"${id}"`).join(', ')} from ${this.keyring.source}). ` +
        'Fix: start with the key this database was written with (VAULT_KEYS, or ' +
        'ENCRYPTION_PASSWORD + ENCRYPTION_SALT, or the vault.key file of its data folder). To ' +
        'change keys, put the new key first in VAULT_KEYS, keep the old one after it, and run ' +
        '`pnpm cli vault rotate`. Nothing was changed.',
    );
  }

  private async reportPendingRotation(): Promise<void> {
    const counts = await this.dataKeys.countByKek();
    let older = 0;
    const missing: string[] = [];
    for (const [kekId, count] of counts) {
      if (kekId === this.keyring.active.id) continue;
      if (this.keyring.get(kekId)) older += count;
      else missing.push(`${count} under "${kekId}"`);
    }
    if (older > 0) {
      this.logger.log(
        `credential vault: ${older} data key(s) are under older keys; run \`pnpm cli vault rotate\``,
      );
    }
    if (missing.length > 0) {
      this.logger.warn(
        `credential vault: data keys under keys that are not configured (${missing.join(', ')}); ` +
          'those datasources need their credentials re-entered',
      );
    }
  }
}
