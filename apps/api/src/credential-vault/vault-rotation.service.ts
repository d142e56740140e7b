import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataKey } from './data-key';
import { instanceSecretKekId, openInstanceSecret, sealInstanceSecret } from './instance-secret';
import type { Keyring } from './keyring';
import { VaultCanaryService } from './vault-canary.service';
import { VaultDataKeyRepository } from './vault-data-key.repository';
import { VAULT_KEYRING } from './vault-keyring.provider';
import {
  collectProviders,
  VAULT_INSTANCE_SECRET_STORES,
  VaultInstanceSecretStore,
} from './vault-secret-source';

export interface RotationOptions {
  /** Rows read per query (default 500). */
  batchSize?: number;
  /** Stop after this many data keys (a staged rollout; tests use it to simulate a kill). */
  limit?: number;
  /** Called after every `progressEvery` data keys and at the end with (done, total). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

export interface RotationFailure {
  workspaceId: string;
  datasourceId: string;
  kekId: string;
  reason: 'kek_not_configured' | 'unwrap_failed';
}

export interface RotationReport {
  activeKekId: string;
  /** Data keys not under the active KEK when the run started. */
  pendingAtStart: number;
  rotated: number;
  /** Rows changed by someone else meanwhile (reset, another rotation): left as they are. */
  skippedConcurrent: number;
  failures: RotationFailure[];
  /** False when stopped by `limit`; the canary and instance secrets move only when true. */
  complete: boolean;
  canary: 'resealed' | 'current' | 'not-run';
  instanceSecrets: { resealed: number; failures: { store: string; purpose: string; id: string }[] };
}

/**
 * `vault rotate`: re-wraps every data key not under the active KEK. Each datasource is one
 * optimistic UPDATE (`WHERE kek_id = old AND wrapped_key = old`), its own transaction, so a
 * run killed at any point leaves every row either old or new, both readable with the keyring,
 * and re-running simply continues. Data keys themselves do not change, so secrets are never
 * re-encrypted and servers keep serving (their keyring holds both keys).
 */
@Injectable()
export class VaultRotationService {
  private readonly logger = new Logger('CredentialVault');

  constructor(
    @Inject(VAULT_KEYRING) private readonly keyring: Keyring,
    private readonly dataKeys: VaultDataKeyRepository,
    private readonly canary: VaultCanaryService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Runs one rotation pass; see {@link RotationReport}. Never logs key material. */
  async rotate(options: RotationOptions = {}): Promise<RotationReport> {
    const active = this.keyring.active;
    const batchSize = options.batchSize ?? 500;
    const progressEvery = options.progressEvery ?? 1_000;
    let pendingAtStart = 0;
    for (const [kekId, count] of await this.dataKeys.countByKek()) {
      if (kekId !== active.id) pendingAtStart += count;
    }
    const report: RotationReport = {
      activeKekId: active.id,
      pendingAtStart,
      rotated: 0,
      skippedConcurrent: 0,
      failures: [],
      complete: true,
      canary: 'not-run',
      instanceSecrets: { resealed: 0, failures: [] },
    };
    let done = 0;
    // A cursor on the primary key, so rows that fail are not read again in this run.
    let cursor = '';
    scan: for (;;) {
      const rows = await this.dataKeys.listNotUnder(active.id, cursor, batchSize);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (options.limit !== undefined && done >= options.limit) {
          report.complete = false;
          break scan;
        }
        cursor = row.datasourceId;
        done++;
        const kek = this.keyring.get(row.kekId);
        const key = kek
          ? DataKey.unwrap(kek, row.wrappedKey, row.workspaceId, row.datasourceId)
          : null;
        if (!key) {
          report.failures.push({
            workspaceId: row.workspaceId,
            datasourceId: row.datasourceId,
            kekId: row.kekId,
            reason: kek ? 'unwrap_failed' : 'kek_not_configured',
          });
        } else if (
          await this.dataKeys.rewrap(
            row,
            active.id,
            key.wrap(active, row.workspaceId, row.datasourceId),
          )
        ) {
          report.rotated++;
        } else {
          report.skippedConcurrent++;
        }
        if (done % progressEvery === 0) options.onProgress?.(done, pendingAtStart);
      }
    }
    options.onProgress?.(done, pendingAtStart);
    if (report.complete) {
      report.canary = await this.canary.reseal();
      report.instanceSecrets = await this.resealInstanceSecrets();
    }
    this.logger.log(
      `credential vault: rotation to "${active.id}": ${report.rotated} rotated, ` +
        `${report.skippedConcurrent} changed meanwhile, ${report.failures.length} failed`,
    );
    return report;
  }

  private async resealInstanceSecrets(): Promise<RotationReport['instanceSecrets']> {
    const result: RotationReport['instanceSecrets'] = { resealed: 0, failures: [] };
    const active = this.keyring.active;
    const stores = collectProviders<VaultInstanceSecretStore>(
      this.moduleRef,
      VAULT_INSTANCE_SECRET_STORES,
    );
    for (const store of stores) {
      for await (const ref of store.listSealed()) {
        if (instanceSecretKekId(ref.sealed) === active.id) continue;
        const plain = openInstanceSecret(this.keyring, ref.purpose, ref.id, ref.sealed);
        if (plain === null) {
          result.failures.push({ store: store.name, purpose: ref.purpose, id: ref.id });
          continue;
        }
        const resealed = sealInstanceSecret(this.keyring, ref.purpose, ref.id, plain);
        if (await store.replaceSealed(ref.purpose, ref.id, ref.sealed, resealed)) result.resealed++;
      }
    }
    return result;
  }
}
