import { AuditService, SYSTEM_META } from '../audit/audit.service';
import type { CliCommand, CliContext } from '../cli/cli-command';
import { generateKeyringEntry, KEY_ID_PATTERN } from './keyring';
import { VaultCheckService } from './vault-check.service';
import { VaultRotationService } from './vault-rotation.service';

/** `--name=value` from the arguments, or undefined. */
function option(args: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** `vault generate-key [id]`: prints a new keyring entry; needs no database. */
export const vaultGenerateKeyCommand: CliCommand = {
  name: 'vault generate-key',
  usage: 'vault generate-key [id]',
  description: 'Print a new random VAULT_KEYS entry (id:base64 of 32 bytes).',
  run: (args, ctx) => {
    const id = args.find((a) => !a.startsWith('-'));
    if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
      ctx.print('key id must be 1-32 characters of a-z, 0-9, _ or -');
      return Promise.resolve(2);
    }
    const entry = generateKeyringEntry(id);
    ctx.print(entry);
    ctx.print('');
    ctx.print('First install: set VAULT_KEYS=<the line above> in your secret store.');
    ctx.print('Key change: put it first, keep the old entries after it,');
    ctx.print('  VAULT_KEYS=<the line above>,<current VAULT_KEYS>');
    ctx.print('restart, run `pnpm cli vault rotate`, then remove the old entries and restart.');
    ctx.print('Keep a backup of the key: without it the stored credentials cannot be decrypted.');
    return Promise.resolve(0);
  },
};

/** `vault check`: exit 0 when the canary, every data key and every secret decrypt. */
export const vaultCheckCommand: CliCommand = {
  name: 'vault check',
  usage: 'vault check',
  description: 'Decrypt the canary, every data key and every stored secret; exit 1 on failure.',
  run: (_args, ctx: CliContext) =>
    ctx.withApp(async (app) => {
      const r = await app.get(VaultCheckService).check();
      ctx.print(`canary: ${r.canary.ok ? 'ok' : 'FAILED'} (key id ${r.canary.kekId ?? 'none'})`);
      const byKek = Object.entries(r.dataKeys.byKek)
        .map(([id, n]) => `${id}: ${n}`)
        .join(', ');
      ctx.print(
        `data keys: ${r.dataKeys.readable}/${r.dataKeys.total} readable${byKek ? ` (${byKek})` : ''}`,
      );
      for (const f of r.dataKeys.failures) {
        ctx.print(
          `  FAILED data key of datasource ${f.datasourceId} (workspace ${f.workspaceId}, key id ${f.kekId})`,
        );
      }
      ctx.print(`secrets: ${r.secrets.readable}/${r.secrets.total} readable`);
      for (const f of r.secrets.failures) {
        ctx.print(
          `  FAILED secret "${f.field}" of datasource ${f.datasourceId} (workspace ${f.workspaceId}, ${f.source})`,
        );
      }
      ctx.print(
        `instance secrets: ${r.instanceSecrets.readable}/${r.instanceSecrets.total} readable`,
      );
      for (const f of r.instanceSecrets.failures) {
        ctx.print(`  FAILED ${f.purpose} secret of ${f.id} (${f.store})`);
      }
      ctx.print(
        r.ok
          ? 'vault check: ok'
          : 'vault check: FAILED (affected datasources need their credentials re-entered)',
      );
      return r.ok ? 0 : 1;
    }),
};

/** `vault rotate [--limit=N]`: re-wraps every data key under the active KEK; resumable. */
export const vaultRotateCommand: CliCommand = {
  name: 'vault rotate',
  usage: 'vault rotate [--limit=N]',
  description: 'Re-wrap every data key under the active key (first in VAULT_KEYS); re-runnable.',
  run: (args, ctx: CliContext) => {
    const limitText = option(args, 'limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      ctx.print('--limit must be a positive integer');
      return Promise.resolve(2);
    }
    return ctx.withApp(async (app) => {
      const r = await app.get(VaultRotationService).rotate({
        limit,
        onProgress: (done, total) => ctx.print(`rotating: ${done}/${total} data keys`),
      });
      await app.get(AuditService).record({
        action: 'vault.rotated',
        actor: null,
        workspaceId: null,
        meta: SYSTEM_META,
        details: {
          activeKeyId: r.activeKekId,
          rotated: r.rotated,
          skippedConcurrent: r.skippedConcurrent,
          failed: r.failures.length,
          complete: r.complete,
        },
      });
      ctx.print(
        `rotated ${r.rotated} data key(s) to key id ${r.activeKekId}; ` +
          `${r.skippedConcurrent} changed meanwhile; ${r.failures.length} failed`,
      );
      for (const f of r.failures) {
        ctx.print(
          `  FAILED datasource ${f.datasourceId} (workspace ${f.workspaceId}, key id ${f.kekId}): ` +
            (f.reason === 'kek_not_configured'
              ? 'its key id is not in VAULT_KEYS'
              : 'its data key is corrupt'),
        );
      }
      if (!r.complete) {
        ctx.print('stopped at --limit; run `vault rotate` again to continue');
        return r.failures.length === 0 ? 0 : 1;
      }
      ctx.print(`canary: ${r.canary}`);
      ctx.print(
        `instance secrets: ${r.instanceSecrets.resealed} re-sealed, ${r.instanceSecrets.failures.length} failed`,
      );
      for (const f of r.instanceSecrets.failures) {
        ctx.print(`  FAILED ${f.purpose} secret of ${f.id} (${f.store})`);
      }
      const ok = r.failures.length === 0 && r.instanceSecrets.failures.length === 0;
      ctx.print(
        ok
          ? 'rotation complete: the older keys can be removed from VAULT_KEYS'
          : 'rotation done with failures: the datasources above need their credentials re-entered',
      );
      return ok ? 0 : 1;
    });
  },
};

/** The vault's operator commands, appended to `CLI_COMMANDS`. */
export const VAULT_COMMANDS: CliCommand[] = [
  vaultGenerateKeyCommand,
  vaultCheckCommand,
  vaultRotateCommand,
];
