import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadAppConfig } from './app-config';
import {
  assertProductionSafe,
  findProductionProblems,
  ProductionSafetyError,
} from './production-safety';

const prod = (env: Record<string, string>) =>
  loadAppConfig({ NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', ...env });

const variables = (env: Record<string, string>) =>
  findProductionProblems(prod(env)).map((p) => p.variable);

describe('production safeguards (config layer)', () => {
  it('accepts TLS or a trusted proxy, and refuses plain HTTP whatever HOST is', () => {
    expect(variables({})).toEqual([]);
    expect(variables({ TRUST_PROXY: '', TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' })).toEqual(
      [],
    );
    for (const host of ['0.0.0.0', '127.0.0.1', '::']) {
      expect(variables({ TRUST_PROXY: '', HOST: host })).toEqual(['TLS_CERT_FILE/TRUST_PROXY']);
    }
  });

  it('refuses CORS open to any origin or to http:// origins, not exact https origins', () => {
    expect(variables({ CORS_ORIGINS: '*' })).toEqual(['CORS_ORIGINS']);
    expect(variables({ CORS_ORIGINS: 'https://a.example.test, *' })).toEqual(['CORS_ORIGINS']);
    expect(variables({ CORS_ORIGINS: 'http://a.example.test' })).toEqual(['CORS_ORIGINS']);
    expect(
      variables({ CORS_ORIGINS: 'https://a.example.test,https://b.example.test:8443' }),
    ).toEqual([]);
  });

  it('refuses a documented or trivial database password, in any letter case', () => {
    for (const pw of ['replace-with-a-long-random-password', 'postgres', 'ChangeMe']) {
      expect(variables({ DATABASE_URL: `postgres://bastion:${pw}@db:5432/bastion` })).toEqual([
        'DATABASE_URL',
      ]);
    }
    expect(variables({ DATABASE_URL: 'postgres://bastion:x7Rq-9vLm-2pWt@db/bastion' })).toEqual([]);
  });

  it('lists every problem at once, names variables and fixes, and never prints a value', () => {
    const canary = 'Canary-PRODCFG-41c7';
    let error: unknown;
    try {
      assertProductionSafe(
        prod({
          TRUST_PROXY: '',
          CORS_ORIGINS: `https://${canary.toLowerCase()}.example.test,*`,
          DATABASE_URL: `postgres://${canary}:postgres@db/${canary}`,
        }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProductionSafetyError);
    const { message, problems } = error as ProductionSafetyError;
    expect(problems.map((p) => p.variable)).toEqual([
      'TLS_CERT_FILE/TRUST_PROXY',
      'CORS_ORIGINS',
      'DATABASE_URL',
    ]);
    for (const p of problems) expect(p.message).toMatch(/Fix:/);
    expect(message.toLowerCase()).not.toContain(canary.toLowerCase());
    expect(message).not.toContain(':postgres@');
  });

  it('refuses nothing outside production', () => {
    const dev = loadAppConfig({ NODE_ENV: 'development', CORS_ORIGINS: '*' });
    expect(findProductionProblems(dev)).toEqual([]);
    expect(() => assertProductionSafe(dev)).not.toThrow();
  });
});

describe('self-hosting variables', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadAppConfig(env);
      return [];
    } catch (e) {
      return (e as ConfigValidationError).problems.map((p) => p.variable);
    }
  };

  it('parses CORS_ORIGINS as exact origins and refuses paths or other schemes', () => {
    expect(
      loadAppConfig({ CORS_ORIGINS: 'https://a.test, https://b.test:8443' }).corsOrigins,
    ).toEqual(['https://a.test', 'https://b.test:8443']);
    expect(loadAppConfig({}).corsOrigins).toEqual([]);
    for (const bad of ['https://a.test/', 'https://a.test/app', 'ftp://a.test', 'a.test', 'null']) {
      expect(problemsOf({ CORS_ORIGINS: bad })).toEqual(['CORS_ORIGINS']);
    }
  });

  it('accepts TRUST_PROXY as true, hop count, addresses, CIDRs or range names only', () => {
    for (const ok of [
      'true',
      'false',
      '1',
      '127.0.0.1',
      '10.0.0.0/8, fd00::/8',
      'uniquelocal,loopback',
    ]) {
      expect(problemsOf({ TRUST_PROXY: ok })).toEqual([]);
    }
    for (const bad of ['yes', '10.0.0.0/40', 'proxy.example.test']) {
      expect(problemsOf({ TRUST_PROXY: bad })).toEqual(['TRUST_PROXY']);
    }
  });

  it('takes HTTP_REDIRECT_PORT only with TLS and on another port than PORT', () => {
    const tls = { TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' };
    expect(loadAppConfig({ ...tls, HTTP_REDIRECT_PORT: '8080' }).httpRedirectPort).toBe(8080);
    expect(problemsOf({ HTTP_REDIRECT_PORT: '8080' })).toEqual(['HTTP_REDIRECT_PORT']);
    expect(problemsOf({ ...tls, PORT: '8443', HTTP_REDIRECT_PORT: '8443' })).toEqual([
      'HTTP_REDIRECT_PORT',
    ]);
    expect(problemsOf({ ...tls, HTTP_REDIRECT_PORT: '70000' })).toEqual(['HTTP_REDIRECT_PORT']);
  });
});
