import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { THealthResponse } from '@bastion/contracts';
import { DataSource } from 'typeorm';

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
}
