import type { CliCommand, CliContext } from '../cli/cli-command';
import { AuditPruneRefusedError, AuditRetentionService } from './audit-retention.service';
import { AuditVerifyService } from './audit-verify.service';

/** `--name=value` or `--name value` from the arguments, or undefined. */
function option(args: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  const joined = args.find((a) => a.startsWith(prefix));
  if (joined !== undefined) return joined.slice(prefix.length);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `audit verify`: exit 0 when the chain is intact, 1 with the first broken link otherwise. */
export const auditVerifyCommand: CliCommand = {
  name: 'audit verify',
  usage: 'audit verify',
  description: 'Check the audit log hash chain; print the first broken link; exit 1 if broken.',
  run: (_args, ctx: CliContext) =>
    ctx.withApp(async (app) => {
      const r = await app.get(AuditVerifyService).verify();
      if (r.checkpoint) {
        ctx.print(
          `checkpoint: entries up to ${r.checkpoint.sequence} pruned on ${r.checkpoint.prunedAt} (hash ${r.checkpoint.hash})`,
        );
      }
      ctx.print(
        `checked ${r.checkedEntries} entries; head ${r.head.sequence} (hash ${r.head.hash})`,
      );
      if (r.firstBroken) {
        ctx.print(
          `audit verify: BROKEN at entry ${r.firstBroken.sequence} (${r.firstBroken.reason}): ${r.firstBroken.message}`,
        );
        return 1;
      }
      ctx.print('audit verify: ok');
      return 0;
    }),
};

/** `audit prune --older-than-days N`: retention with a checkpoint. */
export const auditPruneCommand: CliCommand = {
  name: 'audit prune',
  usage: 'audit prune --older-than-days=N',
  description: 'Remove audit entries older than N days, keeping a checkpoint so verify holds.',
  run: (args, ctx: CliContext) => {
    const text = option(args, 'older-than-days');
    const days = text === undefined ? NaN : Number(text);
    if (!Number.isInteger(days) || days < 1) {
      ctx.print('--older-than-days must be a whole number of days, at least 1');
      return Promise.resolve(2);
    }
    return ctx.withApp(async (app) => {
      try {
        const r = await app.get(AuditRetentionService).prune(days);
        ctx.print(
          r.checkpoint
            ? `removed ${r.removed} entries; checkpoint: entry ${r.checkpoint.sequence} of ${r.checkpoint.occurredAt.toISOString()} (hash ${r.checkpoint.hash})`
            : `nothing older than ${days} days`,
        );
        return 0;
      } catch (error) {
        if (error instanceof AuditPruneRefusedError) {
          ctx.print(`audit prune: REFUSED: ${error.message}`);
          return 1;
        }
        throw error;
      }
    });
  },
};

/** The audit log's operator commands, appended to `CLI_COMMANDS`. */
export const AUDIT_COMMANDS: CliCommand[] = [auditVerifyCommand, auditPruneCommand];
