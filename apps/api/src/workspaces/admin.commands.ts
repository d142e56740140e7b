import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AuthException } from '../auth/auth.exception';
import type { CliCommand } from '../cli/cli-command';
import { WorkspaceService } from './workspace.service';

/** `--name value` or `--name=value` from the arguments. */
export function cliOption(args: string[], name: string): string | undefined {
  const flag = `--${name}`;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

/**
 * The first line of stdin: typed without echo on a terminal, or piped
 * (`printf '%s\n' "$PW" | pnpm cli admin create ...`). Never taken from argv, which other
 * users of the machine can read in the process list.
 */
export function readPasswordFromStdin(
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<string> {
  if (input.isTTY) process.stderr.write('Password (not shown): ');
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input, output: muted, terminal: Boolean(input.isTTY) });
  return new Promise((resolve) => {
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      if (input.isTTY) process.stderr.write('\n');
      resolve(line);
    });
    rl.once('close', () => {
      if (!done) resolve('');
    });
  });
}

/** `admin create --email E --workspace NAME`: a user who is admin of a new workspace. */
export const adminCreateCommand: CliCommand = {
  name: 'admin create',
  usage: 'admin create --email E --workspace NAME',
  description:
    'Create an admin and their workspace; password from BASTION_ADMIN_PASSWORD or stdin.',
  run: async (args, ctx) => {
    const email = cliOption(args, 'email')?.trim().toLowerCase();
    const workspace = cliOption(args, 'workspace')?.trim();
    if (!email || !/^[^\s@]+@[^\s@]+$/.test(email) || !workspace) {
      ctx.print('usage: admin create --email E --workspace NAME');
      ctx.print('The password comes from BASTION_ADMIN_PASSWORD, or is read from stdin.');
      return 2;
    }
    const password = ctx.config.adminPassword ?? (await readPasswordFromStdin());
    if (!password) {
      ctx.print('No password: set BASTION_ADMIN_PASSWORD or write it to stdin.');
      return 2;
    }
    return ctx.withApp(async (app) => {
      try {
        const r = await app.get(WorkspaceService).createAdmin(email, password, workspace);
        ctx.print(
          `Created admin ${email} (user ${r.userId}) of workspace "${workspace}" (${r.workspaceId}).`,
        );
        return 0;
      } catch (error) {
        if (error instanceof AuthException) {
          ctx.print(`Refused: ${error.message}`);
          return 1;
        }
        throw error;
      }
    });
  },
};

export const ADMIN_COMMANDS: CliCommand[] = [adminCreateCommand];
