import { describe, expect, it } from 'vitest';
import { mapDriverError } from './query-error-mapping';

describe('mapDriverError', () => {
  it('cleans a database message of any length in linear time and keeps at most 300 characters', () => {
    // 200,000 letters without "://": the URL pattern used to scan it in quadratic time (a
    // 100k-character RAISE blocked the process for 10 s), so this test timed out.
    const mapped = mapDriverError({ code: 'P0001', message: 'x'.repeat(200_000) }, 1_000);
    expect(mapped.status).toBe(422);
    expect(mapped.message.length).toBeLessThanOrEqual(330);
  }, 5_000); // a hang guard, not a speed target: the fixed code takes milliseconds, the bug 38 s

  it('still strips a URL with its credentials and addresses from a short message', () => {
    const mapped = mapDriverError(
      { code: 'P0001', message: 'see postgres://u:pw@10.0.0.5:5432/db and 192.168.1.2' },
      1_000,
    );
    expect(mapped.message).not.toMatch(/pw|10\.0\.0\.5|192\.168/);
  });

  it.each([
    'unable to open database: /srv/bastion/data/sqlite-datasources/ws/other.db',
    'unable to open database: file:/srv/bastion/data/x.db?mode=ro',
    "cannot open '/srv/bastion/data/x.db' (errno 13)",
  ])('removes a server path from a SQLite message: %s', (message) => {
    const mapped = mapDriverError({ code: 'SQLITE_ERROR', message }, 1_000);
    expect(mapped.status).toBe(422);
    expect(mapped.message).not.toContain('/srv');
    expect(mapped.message).toContain('[path]');
  });

  it('keeps a slash that is not a path in a SQLite message', () => {
    const mapped = mapDriverError({ code: 'SQLITE_ERROR', message: 'near "/": syntax error' }, 1);
    expect(mapped.message).toBe('Syntax error: near "/": syntax error');
  });
});
