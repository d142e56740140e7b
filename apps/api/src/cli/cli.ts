import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { ConfigValidationError, loadAppConfig } from '../config/app-config';
import { createAppLogger, PinoNestLogger } from '../common/logging/app-logger';
import type { CliContext } from './cli-command';
import { CLI_COMMANDS } from './cli-commands';

function printHelp(): void {
  process.stdout.write('Usage: pnpm cli <command> [options]\n\nCommands:\n');
  for (const c of CLI_COMMANDS) process.stdout.write(`  ${c.usage.padEnd(34)} ${c.description}\n`);
}

/** Operator commands: `pnpm cli help` lists them. Exit status 0 on success. */
async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const command = CLI_COMMANDS.map((c) => ({ c, n: c.name.split(' ') }))
    .filter(({ n }) => n.every((w, i) => words[i] === w))
    .sort((a, b) => b.n.length - a.n.length)[0];
  if (!command || words[0] === 'help') {
    printHelp();
    return command || words[0] === 'help' || words.length === 0 ? 0 : 2;
  }
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const ctx: CliContext = {
    config,
    print: (line) => process.stdout.write(`${line}\n`),
    withApp: async (fn) => {
      const logger = createAppLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
      const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
        logger: new PinoNestLogger(logger),
        abortOnError: false,
      });
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
  };
  const rest = argv.slice(command.n.length);
  return command.c.run(rest, ctx);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
