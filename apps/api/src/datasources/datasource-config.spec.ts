import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadAppConfig } from '../config/app-config';

describe('datasource and egress configuration', () => {
  it('defaults: private allowed; loopback only in development; SQLite folder in the data folder', () => {
    const dev = loadAppConfig({ DATA_DIR: '/srv/bastion' });
    expect(dev.egress).toMatchObject({
      allowPrivate: true,
      allowLoopback: true,
      deny: [],
      allow: [],
    });
    expect(dev.datasources).toEqual({
      sqliteDir: '/srv/bastion/sqlite-datasources',
      poolMax: 5,
      poolIdleMs: 300_000,
      connectTimeoutMs: 10_000,
    });
    for (const NODE_ENV of ['production', 'test']) {
      expect(loadAppConfig({ NODE_ENV, VAULT_KEYS: 'k1:x' }).egress.allowLoopback).toBe(false);
    }
    const explicit = loadAppConfig({ EGRESS_ALLOW_LOOPBACK: 'false', EGRESS_ALLOW_PRIVATE: '0' });
    expect(explicit.egress).toMatchObject({ allowLoopback: false, allowPrivate: false });
  });

  it('CIDR lists are validated at boot, naming the variable and never the value', () => {
    expect(loadAppConfig({ EGRESS_DENY: '10.0.0.0/8, 192.0.2.1,fd00::/8' }).egress.deny).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      'fd00::/8',
    ]);
    let error: unknown;
    try {
      loadAppConfig({ EGRESS_ALLOW: '10.0.0.0/8,Canary-CIDR-77' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as Error).message).toContain('EGRESS_ALLOW');
    expect((error as Error).message).not.toContain('Canary-CIDR-77');
    expect(() => loadAppConfig({ DATASOURCE_POOL_MAX: '0' })).toThrow(/DATASOURCE_POOL_MAX/);
  });
});
