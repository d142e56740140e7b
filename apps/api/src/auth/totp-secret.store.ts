import { Injectable } from '@nestjs/common';
import type {
  VaultInstanceSecretRef,
  VaultInstanceSecretStore,
} from '../credential-vault/credential-vault.service';
import { TOTP_SEAL_PURPOSE } from './two-factor.service';
import { UserRepository } from './user.repository';

/**
 * Lets `vault check` open and `vault rotate` re-seal the users' TOTP seeds (registered under
 * `VAULT_INSTANCE_SECRET_STORES` in AuthModule).
 */
@Injectable()
export class TotpSecretStore implements VaultInstanceSecretStore {
  readonly name = 'two-factor seeds';

  constructor(private readonly users: UserRepository) {}

  async *listSealed(): AsyncIterable<VaultInstanceSecretRef> {
    for await (const row of this.users.listTotpSealed()) {
      yield { purpose: TOTP_SEAL_PURPOSE, id: row.id, sealed: row.sealed };
    }
  }

  replaceSealed(
    purpose: string,
    id: string,
    oldSealed: string,
    newSealed: string,
  ): Promise<boolean> {
    if (purpose !== TOTP_SEAL_PURPOSE) return Promise.resolve(false);
    return this.users.replaceTotpSealed(id, oldSealed, newSealed);
  }
}
