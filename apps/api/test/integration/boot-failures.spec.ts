import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const apiDir = resolve(__dirname, '../..');

function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: apiDir,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('server boot with a bad environment', () => {
  it('stops with a message naming each bad variable and no value', () => {
    const canary = 'Canary-ENV-5e1a';
    const res = runMain({
      PORT: 'not-a-port',
      DATABASE_URL: `mysql://root:${canary}@db/x`,
      LOG_LEVEL: 'loud',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('DATABASE_URL');
    expect(res.stderr).toContain('LOG_LEVEL');
    expect(res.stderr + res.stdout).not.toContain(canary);
  });
});
