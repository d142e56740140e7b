import type { CliCommand } from './cli-command';
import { ADMIN_COMMANDS } from '../workspaces/admin.commands';
import { findProductionProblems } from '../config/production-safety';
import { VAULT_COMMANDS } from '../credential-vault/vault.commands';
import { AUDIT_COMMANDS } from '../audit/audit.commands';
import { APPS_COMMANDS } from '../apps/apps.commands';

/**
 * Every operator command. Modules append theirs here (vault, admin, audit, apps); `pnpm cli help`
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
      ctx.print(`HTTPS: ${c.tls ? 'TLS in the server' : c.trustProxy ? 'via TRUST_PROXY' : 'off'}`);
      ctx.print(
        `CORS origins: ${c.corsOrigins.length ? c.corsOrigins.join(', ') : 'same-origin only'}`,
      );
      const { syslog, http } = c.audit;
      const sinks = [
        syslog ? `syslog ${syslog.transport}://${syslog.host}:${syslog.port}` : null,
        // Origin only: a path or query may carry a receiver's key.
        http ? `https ${new URL(http.url).origin}${http.token ? ' (bearer token set)' : ''}` : null,
      ].filter((x) => x !== null);
      ctx.print(`audit streaming: ${sinks.length ? sinks.join(', ') : 'off'}`);
      // The production refusals main.ts would apply (vault key checks run at boot).
      const problems = findProductionProblems(c);
      for (const p of problems) ctx.print(`REFUSED IN PRODUCTION ${p.variable}: ${p.message}`);
      return Promise.resolve(problems.length > 0 ? 1 : 0);
    },
  },
  ...VAULT_COMMANDS,
  ...AUDIT_COMMANDS,
  ...APPS_COMMANDS,
  ...ADMIN_COMMANDS,
];
