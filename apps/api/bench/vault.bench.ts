/**
 * Credential vault benchmark: encrypt/decrypt cost per secret (µs) and rotation time for
 * 10,000 datasources on SQLite. Run from apps/api:
 *   node -r @swc-node/register bench/vault.bench.ts [datasources=10000]
 * Boots only the config, the database (vault migrations) and the vault module, so it measures
 * the vault and nothing else. Results go to stdout as a Markdown table.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig, loadAppConfig } from '../src/config/app-config';
import { ConfigModule } from '../src/config/config.module';
import { CredentialVaultModule } from '../src/credential-vault/credential-vault.module';
import { CredentialVaultService } from '../src/credential-vault/credential-vault.service';
import { CredentialVault1764400100000 } from '../src/credential-vault/migrations/1764400100000-credential-vault';
import { VaultRotationService } from '../src/credential-vault/vault-rotation.service';
import { buildDataSourceOptions } from '../src/database/data-source-options';

function boot(config: AppConfig) {
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      TypeOrmModule.forRoot({
        ...buildDataSourceOptions(config),
        migrations: [CredentialVault1764400100000],
        autoLoadEntities: true,
      }),
      CredentialVaultModule,
    ],
  })
  class BenchModule {}
  return NestFactory.createApplicationContext(BenchModule, { logger: false });
}

/** Mean µs per call of `fn` over `n` calls, after a warm-up. */
async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, n); i++) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

async function main(): Promise<void> {
  const datasources = Number(process.argv[2] ?? 10_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-vault-bench-'));
  const oldKey = `old:${randomBytes(32).toString('base64')}`;
  const newKey = `new:${randomBytes(32).toString('base64')}`;
  const env = { NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const rows: [string, string][] = [];
  try {
    let app = await boot(loadAppConfig({ ...env, VAULT_KEYS: oldKey }));
    let vault = app.get(CredentialVaultService);
    const ws = randomUUID();
    const ds = randomUUID();
    await vault.createDataKey(ws, ds);
    const value = 'p@ss:w/rd%23#?&=!-pässwörd-密码-🔑';
    const stored = await vault.encryptSecret(ws, ds, 'password', value);
    const n = 20_000;
    rows.push([
      'encryptSecret (cached data key, includes the SQLite row check)',
      `${(await perCall(n, () => vault.encryptSecret(ws, ds, 'password', value))).toFixed(1)} µs`,
    ]);
    rows.push([
      'decryptSecret (cached data key)',
      `${(await perCall(n, () => vault.decryptSecret(ws, ds, 'password', stored))).toFixed(1)} µs`,
    ]);
    rows.push([
      'decryptSecret (cold: SQLite read + unwrap + decrypt)',
      `${(
        await perCall(5_000, () => {
          vault.clearCache();
          return vault.decryptSecret(ws, ds, 'password', stored);
        })
      ).toFixed(1)} µs`,
    ]);

    const db = app.get(DataSource);
    const seedStart = Date.now();
    await db.transaction(async (m) => {
      for (let i = 0; i < datasources; i++) await vault.createDataKey(ws, randomUUID(), m);
    });
    const seedMs = Date.now() - seedStart;
    await app.close();

    app = await boot(loadAppConfig({ ...env, VAULT_KEYS: `${newKey},${oldKey}` }));
    vault = app.get(CredentialVaultService);
    const start = Date.now();
    const report = await app.get(VaultRotationService).rotate();
    const rotationMs = Date.now() - start;
    if (report.rotated !== datasources + 1 || report.failures.length > 0) {
      throw new Error(`rotation incomplete: ${JSON.stringify(report)}`);
    }
    vault.clearCache();
    if ((await vault.decryptSecret(ws, ds, 'password', stored)) !== value)
      throw new Error('unreadable');
    await app.close();
    rows.push([
      `seed ${datasources} data keys (one transaction)`,
      `${(seedMs / 1000).toFixed(2)} s`,
    ]);
    rows.push([
      `vault rotate, ${report.rotated} data keys (one UPDATE each)`,
      `${(rotationMs / 1000).toFixed(2)} s (${((rotationMs * 1000) / report.rotated).toFixed(0)} µs each)`,
    ]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  out('| measure | result |\n|---|---|');
  for (const [k, v] of rows) out(`| ${k} | ${v} |`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
