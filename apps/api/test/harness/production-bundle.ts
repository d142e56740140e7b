import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The API package (apps/api) and its production entry point. */
export const API_DIR = resolve(__dirname, '../..');
export const MAIN_JS = join(API_DIR, 'dist/main.js');

/** Newest modification time of the non-test sources under `dir`, in ms. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Reuses dist/ when it is newer than every source file, else builds it (~6 s). */
export function ensureProductionBundle(): void {
  let built = 0;
  try {
    built = statSync(MAIN_JS).mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= newestSource(join(API_DIR, 'src'))) return;
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: API_DIR, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`production build failed:\n${tsc.stdout}${tsc.stderr}`);
}
