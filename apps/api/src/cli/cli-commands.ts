import type { CliCommand } from './cli-command';
import { VAULT_COMMANDS } from '../credential-vault/vault.commands';

/**
 * Every operator command. Modules append theirs here (vault, admin, audit); `pnpm cli help`
 * lists them.
 */
export const CLI_COMMANDS: CliCommand[] = [
  {
    name: 'config check',
    usage: 'config check',
    description: 'Validate the environment and print the effective, non-secret settings.',
    run: (_args, ctx) => {
      const c = ctx.config;
      ctx.print(`NODE_ENV=${c.nodeEnv}`);
      ctx.print(
        `metadata store: ${c.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${c.dataDir}`}`,
      );
      ctx.print(`listen: ${c.host}:${c.port}${c.tls ? ' (TLS)' : ''}`);
      ctx.print(
        `vault key source: ${c.vault.keyring ? 'VAULT_KEYS' : c.vault.password ? 'ENCRYPTION_PASSWORD' : 'generated file in the data folder'}`,
      );
      return Promise.resolve(0);
    },
  },
  ...VAULT_COMMANDS,
];
