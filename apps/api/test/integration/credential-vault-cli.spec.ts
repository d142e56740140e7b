import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_COMMANDS } from '../../src/cli/cli-commands';
import type { CliCommand } from '../../src/cli/cli-command';
import { parseKeyring } from '../../src/credential-vault/keyring';
import type { MetadataStore } from '../harness/test-app';
import {
  bootVault,
  cliContext,
  newKeyEntry,
  newStore,
  seedDatasources,
  sql,
  storedSecret,
  StoreRef,
} from './credential-vault.helpers';

const apiDir = resolve(__dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function command(name: string): CliCommand {
  const found = CLI_COMMANDS.find((c) => c.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
}

describe('vault generate-key', () => {
  it('prints a fresh valid keyring entry and how to use it', async () => {
    const ref = await newStore('sqlite');
    dirs.push(ref.dataDir);
    const { ctx, lines } = cliContext(ref);
    expect(await command('vault generate-key').run([], ctx)).toBe(0);
    expect(parseKeyring(lines[0])).toHaveLength(1);
    expect(lines.join('\n')).toContain('VAULT_KEYS=');
    const named = cliContext(ref);
    expect(await command('vault generate-key').run(['prod-1'], named.ctx)).toBe(0);
    expect(named.lines[0]).toMatch(/^prod-1:/);
    expect(await command('vault generate-key').run(['Bad Id'], named.ctx)).toBe(2);
  });
});

describe.each<MetadataStore>(['sqlite', 'postgres'])(
  'vault check and rotate commands on %s',
  (kind) => {
    it('check exits 0, then 1 naming the datasource of a corrupt row or secret (never a value)', async () => {
      const ref: StoreRef = await newStore(kind);
      dirs.push(ref.dataDir);
      const env = { VAULT_KEYS: newKeyEntry('k1') };
      const v = await bootVault(ref, env);
      const seeded = await seedDatasources(v, 3, (i, f) => `Canary-VAULT-cli-${i}-${f}`);
      await v.close();

      const ok = cliContext(ref, env);
      expect(await command('vault check').run([], ok.ctx)).toBe(0);
      expect(ok.lines).toContain('data keys: 3/3 readable (k1: 3)');
      expect(ok.lines).toContain('secrets: 9/9 readable');
      expect(ok.lines.at(-1)).toBe('vault check: ok');

      // One flipped secret, one corrupt data key.
      const w = await bootVault(ref, env);
      const stored = await storedSecret(w, seeded[0].datasourceId, 'apiKey');
      const flipped = stored.slice(0, -2) + (stored.at(-2) === 'A' ? 'B' : 'A') + stored.at(-1);
      await sql(
        w.db,
        "UPDATE vault_test_secrets SET stored = ? WHERE datasource_id = ? AND field = 'apiKey'",
        [flipped, seeded[0].datasourceId],
      );
      await sql(
        w.db,
        "UPDATE vault_data_keys SET wrapped_key = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE datasource_id = ?",
        [seeded[2].datasourceId],
      );
      await w.close();

      const bad = cliContext(ref, env);
      expect(await command('vault check').run([], bad.ctx)).toBe(1);
      const out = bad.lines.join('\n');
      expect(out).toContain(`FAILED secret "apiKey" of datasource ${seeded[0].datasourceId}`);
      expect(out).toContain(`FAILED data key of datasource ${seeded[2].datasourceId}`);
      expect(out).not.toContain(`FAILED data key of datasource ${seeded[1].datasourceId}`);
      expect(out).not.toContain('Canary-VAULT');
      expect(bad.lines.at(-1)).toMatch(/^vault check: FAILED/);
    });

    it('rotate prints progress and totals, and a second run has nothing to do', async () => {
      const ref: StoreRef = await newStore(kind);
      dirs.push(ref.dataDir);
      const oldKey = newKeyEntry('old');
      const v = await bootVault(ref, { VAULT_KEYS: oldKey });
      await seedDatasources(v, 5);
      await v.close();
      const env = { VAULT_KEYS: `${newKeyEntry('new')},${oldKey}` };

      const staged = cliContext(ref, env);
      expect(await command('vault rotate').run(['--limit=2'], staged.ctx)).toBe(0);
      expect(staged.lines).toContain(
        'rotated 2 data key(s) to key id new; 0 changed meanwhile; 0 failed',
      );
      expect(staged.lines.at(-1)).toMatch(/run `vault rotate` again/);

      const rest = cliContext(ref, env);
      expect(await command('vault rotate').run([], rest.ctx)).toBe(0);
      expect(rest.lines).toContain('rotating: 3/3 data keys');
      expect(rest.lines).toContain('canary: resealed');
      expect(rest.lines.at(-1)).toBe(
        'rotation complete: the older keys can be removed from VAULT_KEYS',
      );

      const again = cliContext(ref, env);
      expect(await command('vault rotate').run([], again.ctx)).toBe(0);
      expect(again.lines).toContain(
        'rotated 0 data key(s) to key id new; 0 changed meanwhile; 0 failed',
      );
      expect(await command('vault rotate').run(['--limit=x'], again.ctx)).toBe(2);
    });
  },
);

describe('the CLI process', () => {
  function cli(args: string[], env: Record<string, string>) {
    return spawnSync(process.execPath, ['-r', '@swc-node/register', 'src/cli/cli.ts', ...args], {
      cwd: apiDir,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  it('vault generate-key prints an entry; vault check exits 0 then 1 on a corrupt row', async () => {
    const gen = cli(['vault', 'generate-key'], {});
    expect(gen.status).toBe(0);
    const entry = gen.stdout.split('\n')[0];
    expect(parseKeyring(entry)).toHaveLength(1);

    const ref = await newStore('sqlite');
    dirs.push(ref.dataDir);
    const env = { VAULT_KEYS: entry, DATA_DIR: ref.dataDir };
    const v = await bootVault(ref, env);
    const seeded = await seedDatasources(v, 2);
    await v.close();
    const good = cli(['vault', 'check'], env);
    expect(good.stdout).toContain('data keys: 2/2 readable');
    expect(good.status).toBe(0);

    const w = await bootVault(ref, env);
    await sql(
      w.db,
      "UPDATE vault_data_keys SET wrapped_key = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE datasource_id = ?",
      [seeded[1].datasourceId],
    );
    await w.close();
    const bad = cli(['vault', 'check'], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`FAILED data key of datasource ${seeded[1].datasourceId}`);
    expect(bad.stdout + bad.stderr).not.toContain(entry.split(':')[1]);
  });
});
