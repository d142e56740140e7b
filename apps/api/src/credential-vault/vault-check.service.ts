import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CredentialVaultService } from './credential-vault.service';
import { openInstanceSecret } from './instance-secret';
import type { Keyring } from './keyring';
import { VaultCanaryService } from './vault-canary.service';
import { VaultDataKeyRepository } from './vault-data-key.repository';
import { VAULT_KEYRING } from './vault-keyring.provider';
import {
  collectProviders,
  VAULT_INSTANCE_SECRET_STORES,
  VAULT_SECRET_SOURCES,
  VaultInstanceSecretStore,
  VaultSecretSource,
} from './vault-secret-source';

export interface VaultCheckReport {
  canary: { kekId: string | null; ok: boolean };
  dataKeys: {
    total: number;
    readable: number;
    byKek: Record<string, number>;
    failures: { workspaceId: string; datasourceId: string; kekId: string }[];
  };
  secrets: {
    total: number;
    readable: number;
    failures: { source: string; workspaceId: string; datasourceId: string; field: string }[];
  };
  instanceSecrets: {
    total: number;
    readable: number;
    failures: { store: string; purpose: string; id: string }[];
  };
  /** True when everything decrypted. */
  ok: boolean;
}

/**
 * `vault check`: decrypts the canary, every data key, every secret listed by the
 * `VAULT_SECRET_SOURCES` and every instance secret of the `VAULT_INSTANCE_SECRET_STORES`.
 * The report names ids and fields, never values.
 */
@Injectable()
export class VaultCheckService {
  constructor(
    @Inject(VAULT_KEYRING) private readonly keyring: Keyring,
    private readonly vault: CredentialVaultService,
    private readonly canary: VaultCanaryService,
    private readonly dataKeys: VaultDataKeyRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  async check(): Promise<VaultCheckReport> {
    const report: VaultCheckReport = {
      canary: await this.canary.status(),
      dataKeys: { total: 0, readable: 0, byKek: {}, failures: [] },
      secrets: { total: 0, readable: 0, failures: [] },
      instanceSecrets: { total: 0, readable: 0, failures: [] },
      ok: false,
    };
    // Decide from the stored rows, not from keys cached before a corruption.
    this.vault.clearCache();
    let cursor = '';
    for (;;) {
      const rows = await this.dataKeys.listAfter(cursor, 500);
      if (rows.length === 0) break;
      for (const row of rows) {
        cursor = row.datasourceId;
        report.dataKeys.total++;
        report.dataKeys.byKek[row.kekId] = (report.dataKeys.byKek[row.kekId] ?? 0) + 1;
        if (this.vault.unwrap(row)) report.dataKeys.readable++;
        else {
          report.dataKeys.failures.push({
            workspaceId: row.workspaceId,
            datasourceId: row.datasourceId,
            kekId: row.kekId,
          });
        }
      }
    }
    for (const source of collectProviders<VaultSecretSource>(
      this.moduleRef,
      VAULT_SECRET_SOURCES,
    )) {
      for await (const s of source.listSecrets()) {
        report.secrets.total++;
        const plain = await this.vault.tryDecrypt(s.workspaceId, s.datasourceId, s.field, s.stored);
        if (plain !== null) report.secrets.readable++;
        else {
          report.secrets.failures.push({
            source: source.name,
            workspaceId: s.workspaceId,
            datasourceId: s.datasourceId,
            field: s.field,
          });
        }
      }
    }
    const stores = collectProviders<VaultInstanceSecretStore>(
      this.moduleRef,
      VAULT_INSTANCE_SECRET_STORES,
    );
    for (const store of stores) {
      for await (const ref of store.listSealed()) {
        report.instanceSecrets.total++;
        if (openInstanceSecret(this.keyring, ref.purpose, ref.id, ref.sealed) !== null) {
          report.instanceSecrets.readable++;
        } else {
          report.instanceSecrets.failures.push({
            store: store.name,
            purpose: ref.purpose,
            id: ref.id,
          });
        }
      }
    }
    this.vault.clearCache();
    report.ok =
      report.canary.ok &&
      report.dataKeys.failures.length === 0 &&
      report.secrets.failures.length === 0 &&
      report.instanceSecrets.failures.length === 0;
    return report;
  }
}
