import type { CliCommand, CliContext } from '../cli/cli-command';
import { AppRevisionService } from './app-revision.service';

/** `apps prune-revisions`: app revision retention across every app (cron it, like audit prune). */
export const appsPruneRevisionsCommand: CliCommand = {
  name: 'apps prune-revisions',
  usage: 'apps prune-revisions',
  description:
    'Remove unpublished app revisions older than APP_REVISION_RETENTION_DAYS (each app keeps its newest).',
  run: (_args, ctx: CliContext) =>
    ctx.withApp(async (app) => {
      const removed = await app.get(AppRevisionService).pruneExpired();
      ctx.print(
        `removed ${removed} app revisions older than ${ctx.config.appRevisionRetentionDays} days`,
      );
      return 0;
    }),
};

/** The apps module's operator commands, appended to `CLI_COMMANDS`. */
export const APPS_COMMANDS: CliCommand[] = [appsPruneRevisionsCommand];
