import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  it('applies the embedded defaults', () => {
    const config = loadAppConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.isProduction).toBe(false);
  });

  it('names every bad variable and never prints a value', () => {
    const canary = 'Canary-CFG-31d9';
    let error: unknown;
    try {
      loadAppConfig({
        PORT: 'eighty',
        DATABASE_URL: `mysql://u:${canary}@h/db`,
        LOG_LEVEL: canary,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LOG_LEVEL');
    expect(message).not.toContain(canary);
    expect(JSON.stringify((error as ConfigValidationError).problems)).not.toContain(canary);
  });

  it('run queue and drain: defaults, and a bad value names the variable', () => {
    const config = loadAppConfig({});
    expect(config.queryProxy).toMatchObject({ queueMax: 200, queueWaitMs: 10_000 });
    expect(config.shutdown.drainMs).toBe(5_000);
    expect(() => loadAppConfig({ QUERY_QUEUE_MAX: '-1' })).toThrow(/QUERY_QUEUE_MAX/);
    expect(() => loadAppConfig({ QUERY_QUEUE_WAIT_MS: 'soon' })).toThrow(/QUERY_QUEUE_WAIT_MS/);
    expect(() => loadAppConfig({ QUERY_QUEUE_WAIT_MS: '0' })).toThrow(/QUERY_QUEUE_WAIT_MS/);
    expect(() => loadAppConfig({ SHUTDOWN_DRAIN_MS: '1.5' })).toThrow(/SHUTDOWN_DRAIN_MS/);
  });

  it('requires paired variables together', () => {
    expect(() => loadAppConfig({ TLS_CERT_FILE: '/x.pem' })).toThrow(/TLS_KEY_FILE/);
    expect(() => loadAppConfig({ ENCRYPTION_PASSWORD: 'Canary-PW' })).toThrow(/ENCRYPTION_SALT/);
  });

  it('parses comma lists', () => {
    const config = loadAppConfig({
      EGRESS_DENY: '10.0.0.0/8, 192.168.0.0/16,',
      PUBLIC_EGRESS_IPS: '',
    });
    expect(config.egress.deny).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(config.egress.publicIps).toEqual([]);
  });
});
