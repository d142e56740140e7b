#!/usr/bin/env node
// `pnpm cli <command>`: the operator CLI (apps/api/src/cli) on the same defaults as `pnpm start`:
// DATA_DIR is ./data at the repository root. Run through `pnpm --filter` it started in apps/api
// and resolved ./data there: a second, empty database and vault key (newcomer check).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'apps/api/dist/cli/cli.js');
if (!existsSync(entry)) {
  console.error('The CLI is not built yet: run `pnpm build` (or `pnpm start` once) first.');
  process.exit(1);
}
const cli = spawn(process.execPath, [entry, ...process.argv.slice(2)], {
  cwd: root,
  env: { ...process.env, DATA_DIR: process.env.DATA_DIR ?? join(root, 'data') },
  stdio: 'inherit',
});
cli.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
