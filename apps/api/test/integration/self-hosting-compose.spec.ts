import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// docker-compose 1.29 cannot start containers here (no engine); it validates and resolves the
// file. Debian's docker-compose is Python, so PyYAML is there to read its resolved output.

const repo = resolve(__dirname, '../../../..');
const tmp = mkdtempSync(join(tmpdir(), 'bastion-compose-'));

function compose(args: string[], envFile = join(repo, '.env.example')) {
  return spawnSync(
    'docker-compose',
    [
      '--project-directory',
      repo,
      '--env-file',
      envFile,
      '-f',
      join(repo, 'docker-compose.yml'),
      ...args,
    ],
    { cwd: tmp, encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
}

interface Service {
  environment?: Record<string, string>;
  ports?: { published: string | number; target: number }[];
  healthcheck?: { test: string[] };
  /** Short syntax as compose 1.29 prints it: `source:target:mode`. */
  volumes?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  read_only?: boolean;
  cap_drop?: string[];
  depends_on?: Record<string, { condition: string }>;
  image?: string;
  profiles?: string[];
}

/**
 * Services `up` would start: those without `profiles` or with an active one (compose 1.29's
 * `config --services` lists every service, so this applies its `up` rule).
 */
function enabledServices(services: Record<string, Service>, active: string[] = []): string[] {
  return Object.entries(services)
    .filter(([, s]) => !s.profiles || s.profiles.some((p) => active.includes(p)))
    .map(([name]) => name)
    .sort();
}

function resolved(profile?: string): { services: Record<string, Service>; volumes: object } {
  const res = compose([...(profile ? ['--profile', profile] : []), 'config']);
  expect(res.status, res.stderr).toBe(0);
  const json = spawnSync(
    'python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    { input: res.stdout, encoding: 'utf8' },
  );
  expect(json.status, json.stderr).toBe(0);
  return JSON.parse(json.stdout);
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` for the default and the replicas profile', () => {
    for (const args of [
      ['config', '-q'],
      ['--profile', 'replicas', 'config', '-q'],
    ]) {
      const res = compose(args);
      expect(res.status, res.stderr).toBe(0);
    }
  });

  it('default: PostgreSQL with a volume and health check, one app behind the HTTPS proxy', () => {
    const { services, volumes } = resolved();
    expect(enabledServices(services)).toEqual(['app', 'db', 'proxy']);
    expect(services['app-2'].profiles).toEqual(['replicas']);
    expect(services.db.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.db.volumes).toEqual(['db-data:/var/lib/postgresql/data:rw']);
    expect(Object.keys(volumes)).toContain('db-data');
    expect(services.db.ports).toBeUndefined();

    const app = services.app;
    expect(app.ports).toBeUndefined(); // reachable only through the proxy
    expect(app.environment).toMatchObject({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      TRUST_PROXY: 'uniquelocal',
    });
    expect(app.environment?.DATABASE_URL).toMatch(/^postgres:\/\/bastion:[^@]+@db:5432\/bastion$/);
    expect(app.environment?.CORS_ORIGINS ?? '').toBe('');
    expect(app.depends_on?.db.condition).toBe('service_healthy');
    expect(app.read_only).toBe(true);
    expect(app.cap_drop).toEqual(['ALL']);
    expect(app.networks?.default?.aliases).toContain('bastion-app');

    const published = (services.proxy.ports ?? []).map((p) => [Number(p.published), p.target]);
    expect(published).toEqual([
      [80, 80],
      [443, 443],
    ]);
    expect(services.proxy.volumes).toContain(
      `${join(repo, 'deploy/Caddyfile')}:/etc/caddy/Caddyfile:ro`,
    );
  });

  it('replicas: a second app on the same database, key and alias, started after the first', () => {
    const { services } = resolved('replicas');
    expect(enabledServices(services, ['replicas'])).toEqual(['app', 'app-2', 'db', 'proxy']);
    const [a, b] = [services.app, services['app-2']];
    expect(b.environment).toEqual(a.environment);
    expect(b.networks?.default?.aliases).toContain('bastion-app');
    expect(b.depends_on?.app.condition).toBe('service_healthy');
    expect(b.ports).toBeUndefined();
  });

  it('the proxy balances over every container with the app alias, on the app port', () => {
    const caddyfile = readFileSync(join(repo, 'deploy/Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/dynamic a \{[^}]*name bastion-app[^}]*port 3000/s);
    expect(caddyfile).toContain('{$SITE_ADDRESS:localhost}');
  });

  it('refuses to resolve without the secrets, naming each and how to make the key', () => {
    const envFile = join(tmp, 'partial.env');
    writeFileSync(envFile, 'SITE_ADDRESS=localhost\n');
    const res = compose(['config', '-q'], envFile);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/POSTGRES_PASSWORD|VAULT_KEYS/);
    writeFileSync(envFile, 'POSTGRES_PASSWORD=x7Rq9vLm2pWt\n');
    const noKey = compose(['config', '-q'], envFile);
    expect(noKey.status).not.toBe(0);
    expect(noKey.stderr).toContain('vault generate-key');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('ships only production dependencies and runs as the unprivileged node user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBe(2);
    expect(dockerfile).toMatch(/pnpm --filter @bastion\/api deploy --prod \/out/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*healthcheck\.cjs/m);
    expect(runtime).not.toMatch(/pnpm install|COPY \. /);
    // Files the image builds from `files` in package.json (pnpm deploy copies only those).
    for (const pkg of ['apps/api', 'packages/contracts']) {
      const manifest = JSON.parse(readFileSync(join(repo, pkg, 'package.json'), 'utf8'));
      expect(manifest.files, pkg).toEqual(['dist']);
    }
  });

  it('keeps secrets and local data out of the build context', () => {
    const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.env', 'data', '**/node_modules', '.git']) {
      expect(ignore, entry).toContain(entry);
    }
  });
});
