import { describe, expect, it } from 'vitest';
import {
  checkEgressAddress,
  compileEgressPolicy,
  EgressDeniedError,
  EgressLookup,
  EgressPolicyConfig,
  resolveEgressTarget,
} from './egress-policy';

const base: EgressPolicyConfig = { deny: [], allow: [], allowPrivate: true, allowLoopback: false };
const policy = (over: Partial<EgressPolicyConfig> = {}) =>
  compileEgressPolicy({ ...base, ...over });
const allowed = (p: ReturnType<typeof policy>, address: string, port = 443) =>
  checkEgressAddress(p, address, port).allowed;

/** A resolver that answers from a table, like DNS would, and fails for unknown names. */
const fakeDns =
  (table: Record<string, string[]>): EgressLookup =>
  (hostname) => {
    const answers = table[hostname];
    if (!answers)
      return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve(
      answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };

describe('egress policy: addresses always denied (even when EGRESS_ALLOW covers them)', () => {
  const open = policy({ allow: ['0.0.0.0/0', '::/0'], allowLoopback: true });
  it.each([
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['168.63.129.16', 'cloud-metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    // IPv4-mapped and NAT64 / 6to4 spellings of the metadata address
    ['::ffff:169.254.169.254', 'cloud-metadata'],
    ['::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['[::ffff:169.254.169.254]', 'cloud-metadata'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
    ['2002:a9fe:a9fe::1', 'cloud-metadata'],
    ['2001:0::1', 'tunnel'],
  ])('%s is denied as %s', (address, reason) => {
    expect(checkEgressAddress(open, address, 80)).toMatchObject({ allowed: false, reason });
  });

  it('anything that is not an address literal is denied', () => {
    expect(checkEgressAddress(open, 'example.com', 80)).toMatchObject({
      allowed: false,
      reason: 'invalid-address',
    });
  });
});

describe('egress policy: defaults and operator lists', () => {
  it('denies loopback by default, in every spelling', () => {
    const p = policy();
    for (const a of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
    ]) {
      expect(checkEgressAddress(p, a, 5432)).toMatchObject({ allowed: false, reason: 'loopback' });
    }
  });

  it('allows private ranges by default and denies them when EGRESS_ALLOW_PRIVATE is off', () => {
    const privateAddresses = [
      '10.1.2.3',
      '172.16.0.5',
      '192.168.1.1',
      '100.64.0.1',
      'fd12:3456::1',
    ];
    for (const a of privateAddresses) expect(allowed(policy(), a)).toBe(true);
    for (const a of privateAddresses)
      expect(allowed(policy({ allowPrivate: false }), a)).toBe(false);
  });

  it('allows public addresses by default', () => {
    expect(allowed(policy(), '93.184.216.34')).toBe(true);
    expect(allowed(policy(), '2606:2800:220:1:248:1893:25c8:1946')).toBe(true);
  });

  it('EGRESS_ALLOW opens loopback; the longest matching prefix wins between the lists', () => {
    const p = policy({ allow: ['127.0.0.0/8', '10.0.5.0/24'], deny: ['127.0.0.2', '10.0.0.0/8'] });
    expect(allowed(p, '127.0.0.1')).toBe(true);
    expect(allowed(p, '127.0.0.2')).toBe(false);
    expect(allowed(p, '10.0.5.9')).toBe(true);
    expect(allowed(p, '10.0.6.9')).toBe(false);
    // deny everything, allow one network
    const strict = policy({ deny: ['0.0.0.0/0', '::/0'], allow: ['8.8.8.0/24'] });
    expect(allowed(strict, '8.8.8.8')).toBe(true);
    expect(allowed(strict, '1.1.1.1')).toBe(false);
    expect(allowed(strict, '2606:4700::1111')).toBe(false);
  });

  it('an equal-length tie between the lists denies', () => {
    expect(allowed(policy({ allow: ['8.8.4.0/24'], deny: ['8.8.4.0/24'] }), '8.8.4.4')).toBe(false);
  });

  it("the platform's metadata database is never a target, also through another loopback address", () => {
    const p = policy({
      allow: ['127.0.0.0/8', '::1/128'],
      protectedEndpoints: [{ address: '127.0.0.1', port: 5432 }],
    });
    expect(checkEgressAddress(p, '127.0.0.1', 5432).reason).toBe('platform-database');
    expect(checkEgressAddress(p, '127.0.0.9', 5432).reason).toBe('platform-database');
    expect(checkEgressAddress(p, '::1', 5432).reason).toBe('platform-database');
    expect(allowed(p, '127.0.0.1', 5433)).toBe(true);
  });

  it('rejects malformed lists when compiled', () => {
    expect(() => policy({ deny: ['10.0.0.0/33'] })).toThrow(/EGRESS_DENY/);
    expect(() => policy({ allow: ['nonsense'] })).toThrow(/EGRESS_ALLOW/);
  });
});

describe('resolveEgressTarget: decisions on resolved addresses (F5)', () => {
  const dns = fakeDns({
    'metadata.attacker.test': ['169.254.169.254'],
    'mixed.attacker.test': ['93.184.216.34', '10.0.0.1', '127.0.0.1'],
    'localhost.': ['127.0.0.1', '::1'],
    localhost: ['127.0.0.1', '::1'],
    'api.example.test': ['2606:2800:220:1::1', '93.184.216.34'],
  });
  const p = policy();

  it.each([
    '127.0.0.2',
    '0.0.0.0',
    '[::1]',
    '[::ffff:169.254.169.254]',
    '2852039166', // 169.254.169.254 as one decimal number
    '0xA9FEA9FE', // the same in hex
    '0xa9.0xfe.0xa9.0xfe',
    'localhost.',
    'localhost',
    'metadata.attacker.test',
    'mixed.attacker.test', // one bad address denies the name
  ])('%s is refused', async (host) => {
    await expect(resolveEgressTarget(p, host, 80, dns)).rejects.toBeInstanceOf(EgressDeniedError);
  });

  it('the error names the host and the reason, never the resolved address', async () => {
    const error = await resolveEgressTarget(p, 'metadata.attacker.test', 80, dns).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).toContain('metadata.attacker.test');
    expect((error as Error).message).toContain('cloud metadata');
    expect((error as Error).message).not.toContain('169.254');
  });

  it('returns every checked address, IPv4 first, for an allowed name', async () => {
    await expect(resolveEgressTarget(p, 'api.example.test', 443, dns)).resolves.toEqual({
      hostname: 'api.example.test',
      port: 443,
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
    });
  });

  it('an address literal is checked without asking DNS', async () => {
    const never: EgressLookup = () => Promise.reject(new Error('DNS must not be asked'));
    await expect(resolveEgressTarget(p, '93.184.216.34', 443, never)).resolves.toMatchObject({
      addresses: ['93.184.216.34'],
    });
  });

  it('the system resolver path also refuses numeric spellings of loopback', async () => {
    // real getaddrinfo: 2130706433 and 0x7f000001 are 127.0.0.1
    for (const host of ['2130706433', '0x7f000001', '127.1']) {
      await expect(resolveEgressTarget(p, host, 80)).rejects.toBeInstanceOf(EgressDeniedError);
    }
  });
});
