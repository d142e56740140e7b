import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { THealthResponse, TReadinessResponse } from '@bastion/contracts';
import { DataSource } from 'typeorm';
import { DrainState } from '../common/lifecycle/drain-state';

/** Injection token for the credential vault's readiness (provided by the vault module). */
export const VAULT_READINESS = Symbol('VAULT_READINESS');

export interface VaultReadiness {
  /** True once the key-encryption key is loaded and the canary decrypted. */
  isReady(): boolean;
}

// The package version, read once; reported by /api/health.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly drain: DrainState,
    @Optional() @Inject(VAULT_READINESS) private readonly vault?: VaultReadiness,
  ) {}

  /** Pings the metadata database (`SELECT 1`) and asks the vault whether it is ready. */
  async check(): Promise<THealthResponse> {
    let database: THealthResponse['database'] = 'ok';
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      database = 'unavailable';
    }
    const vault: THealthResponse['vault'] = this.vault?.isReady() ? 'ok' : 'unavailable';
    return {
      status: database === 'ok' && vault === 'ok' ? 'ok' : 'degraded',
      database,
      vault,
      version: VERSION,
    };
  }

  /**
   * Readiness for a load balancer: `draining` once a shutdown began (without touching the
   * database), else `ready` when the metadata database and the vault are ok, `not_ready`
   * otherwise.
   */
  async readiness(): Promise<TReadinessResponse> {
    if (this.drain.draining) {
      return {
        status: 'draining',
        database: 'ok',
        vault: this.vault?.isReady() ? 'ok' : 'unavailable',
      };
    }
    const { database, vault } = await this.check();
    return { status: database === 'ok' && vault === 'ok' ? 'ready' : 'not_ready', database, vault };
  }
}
