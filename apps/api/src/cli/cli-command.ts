import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

/** What a command gets: the parsed config and a way to boot the modules it needs. */
export interface CliContext {
  config: AppConfig;
  /** Boots the application context (migrations run), calls `fn`, then closes it. */
  withApp<T>(fn: (app: INestApplicationContext) => Promise<T>): Promise<T>;
  /** Writes a line for the operator (stdout). */
  print(line: string): void;
}

/** One operator command, e.g. `vault rotate`. `run` returns the process exit status. */
export interface CliCommand {
  name: string;
  usage: string;
  description: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}
