#!/usr/bin/env node
// `pnpm start`: build what changed (turbo caches the rest), then run the API, which also serves
// the built web app. Embedded defaults: SQLite and a generated key in ./data.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };

const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const api = spawn(process.execPath, [join(root, 'apps/api/dist/main.js')], {
  cwd: root,
  env: {
    ...env,
    SERVE_WEB: env.SERVE_WEB ?? 'true',
    DATA_DIR: env.DATA_DIR ?? join(root, 'data'),
    WEB_DIST_DIR: env.WEB_DIST_DIR ?? join(root, 'apps/web/dist'),
  },
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => api.kill(signal));
api.on('exit', (code) => process.exit(code ?? 0));
