import ipaddr from 'ipaddr.js';
import { lookup as dnsLookup } from 'node:dns/promises';

/**
 * The egress policy: which network addresses the server may connect to on a datasource's
 * behalf. Pure functions; DNS resolution is injectable so tests can feed any answer.
 * Threat model: server-side request forgery (OWASP SSRF Prevention Cheat Sheet) through a
 * datasource host or REST base URL, including alternative spellings of an address
 * (decimal `2852039166`, hex `0xA9FEA9FE`, IPv4-mapped IPv6, trailing-dot names) and names
 * that resolve to internal addresses. Decisions are made on resolved, normalised addresses.
 */

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** Operator configuration (EGRESS_DENY, EGRESS_ALLOW, EGRESS_ALLOW_PRIVATE, EGRESS_ALLOW_LOOPBACK). */
export interface EgressPolicyConfig {
  /** CIDR ranges or single addresses to deny. */
  deny: string[];
  /** CIDR ranges or single addresses to allow (overrides defaults and shorter deny ranges). */
  allow: string[];
  /** RFC 1918, RFC 4193 (fc00::/7) and RFC 6598 (100.64.0.0/10) addresses. */
  allowPrivate: boolean;
  /** 127.0.0.0/8 and ::1. */
  allowLoopback: boolean;
  /**
   * Endpoints that are never a target whatever the lists say: the platform's own metadata
   * database. An endpoint whose address is loopback also protects every loopback address.
   */
  protectedEndpoints?: ProtectedEndpoint[];
}

export interface ProtectedEndpoint {
  address: string;
  port: number;
}

export type EgressReason =
  | 'invalid-address'
  | 'cloud-metadata'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'tunnel'
  | 'platform-database'
  | 'denied-range'
  | 'allowed-range'
  | 'loopback'
  | 'private'
  | 'public';

export interface EgressDecision {
  allowed: boolean;
  /** The normalised address that was judged (IPv4-mapped IPv6 becomes IPv4). */
  address: string;
  reason: EgressReason;
}

/** Human wording of each reason, for secret-free error messages (no address is named). */
export const EGRESS_REASON_TEXT: Record<EgressReason, string> = {
  'invalid-address': 'not a valid address',
  'cloud-metadata': 'a cloud metadata address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
  tunnel: 'a tunnelling address',
  'platform-database': "the platform's own metadata database",
  'denied-range': 'in a range the operator denied (EGRESS_DENY)',
  'allowed-range': 'in a range the operator allowed (EGRESS_ALLOW)',
  loopback: 'a loopback address (set EGRESS_ALLOW_LOOPBACK or EGRESS_ALLOW to permit)',
  private: 'a private-network address (EGRESS_ALLOW_PRIVATE is off)',
  public: 'a public address',
};

/**
 * Cloud instance metadata services: AWS/GCP/Azure/OpenStack/Oracle 169.254.169.254, AWS IPv6
 * fd00:ec2::254, Alibaba 100.100.100.200, Azure wire server 168.63.129.16.
 */
const CLOUD_METADATA = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16'];

/** Ranges never allowed, whatever EGRESS_ALLOW says (IANA special-purpose registries). */
const ALWAYS_DENIED_V4: Partial<Record<string, EgressReason>> = {
  unspecified: 'unspecified', // 0.0.0.0/8: connecting to 0.0.0.0 reaches the local host
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  reserved: 'reserved',
};
const ALWAYS_DENIED_V6: Partial<Record<string, EgressReason>> = {
  unspecified: 'unspecified',
  multicast: 'multicast',
  linkLocal: 'link-local',
  reserved: 'reserved',
  teredo: 'tunnel',
};

function parseRange(entry: string): [Ip, number] {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const ip = ipaddr.parse(entry);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}

/**
 * Parses an address and normalises it: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4, so
 * one rule covers both spellings. Returns null for anything that is not an address literal.
 */
export function normaliseAddress(address: string): Ip | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  const ip = ipaddr.parse(bare);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (ip as ipaddr.IPv6).toIPv4Address();
  }
  return ip;
}

/** The IPv4 address embedded in NAT64 (RFC 6052), SIIT (RFC 6145) or 6to4 (RFC 3056) forms. */
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  const p = ip.parts;
  if (range === 'rfc6052' || range === 'rfc6145') {
    return new ipaddr.IPv4([p[6] >> 8, p[6] & 0xff, p[7] >> 8, p[7] & 0xff]);
  }
  if (range === '6to4') {
    return new ipaddr.IPv4([p[1] >> 8, p[1] & 0xff, p[2] >> 8, p[2] & 0xff]);
  }
  return null;
}

function longestMatch(ip: Ip, ranges: [Ip, number][]): number {
  let best = -1;
  for (const [net, bits] of ranges) {
    if (net.kind() === ip.kind() && ip.match(net, bits) && bits > best) best = bits;
  }
  return best;
}

function isLoopback(ip: Ip): boolean {
  return ip.range() === 'loopback';
}

function isPrivate(ip: Ip): boolean {
  const r = ip.range();
  return r === 'private' || r === 'carrierGradeNat' || r === 'uniqueLocal';
}

/** A compiled policy; build once per configuration with {@link compileEgressPolicy}. */
export interface CompiledEgressPolicy {
  readonly config: EgressPolicyConfig;
  readonly deny: [Ip, number][];
  readonly allow: [Ip, number][];
  readonly metadata: Ip[];
}

/**
 * Parses the operator's lists once.
 * @throws Error naming the bad entry's list when an entry is not an address or CIDR range.
 */
export function compileEgressPolicy(config: EgressPolicyConfig): CompiledEgressPolicy {
  const parse = (list: string[], name: string) =>
    list.map((entry) => {
      try {
        return parseRange(entry);
      } catch {
        throw new Error(`${name} holds an entry that is not an address or CIDR range`);
      }
    });
  return {
    config,
    deny: parse(config.deny, 'EGRESS_DENY'),
    allow: parse(config.allow, 'EGRESS_ALLOW'),
    metadata: CLOUD_METADATA.map((a) => ipaddr.parse(a)),
  };
}

/**
 * Judges one resolved address and port. Order: always-denied ranges and cloud metadata, the
 * platform's metadata database, then the operator's lists (the longest matching prefix wins;
 * a tie goes to deny), then the defaults (loopback, private, public = allowed).
 * @param address an IP literal (v4, v6, bracketed, IPv4-mapped); anything else is denied.
 * @param port TCP port, for the protected-endpoint check.
 */
export function checkEgressAddress(
  policy: CompiledEgressPolicy,
  address: string,
  port: number,
): EgressDecision {
  const ip = normaliseAddress(address);
  if (!ip) return { allowed: false, address, reason: 'invalid-address' };
  const text = ip.toString();
  const deny = (reason: EgressReason): EgressDecision => ({
    allowed: false,
    address: text,
    reason,
  });

  if (policy.metadata.some((m) => m.kind() === ip.kind() && m.toString() === text)) {
    return deny('cloud-metadata');
  }
  const fixed = ip.kind() === 'ipv4' ? ALWAYS_DENIED_V4[ip.range()] : ALWAYS_DENIED_V6[ip.range()];
  if (fixed) return deny(fixed);
  if (ip.kind() === 'ipv6') {
    // A NAT64 / 6to4 address reaches the IPv4 address inside it: judge that one too.
    const inner = embeddedIpv4(ip as ipaddr.IPv6);
    if (inner) {
      const innerDecision = checkEgressAddress(policy, inner.toString(), port);
      if (!innerDecision.allowed) return { ...innerDecision, address: text };
    }
  }
  for (const endpoint of policy.config.protectedEndpoints ?? []) {
    const protectedIp = normaliseAddress(endpoint.address);
    if (!protectedIp || endpoint.port !== port) continue;
    const same = protectedIp.kind() === ip.kind() && protectedIp.toString() === text;
    if (same || (isLoopback(protectedIp) && isLoopback(ip))) return deny('platform-database');
  }
  const denyBits = longestMatch(ip, policy.deny);
  const allowBits = longestMatch(ip, policy.allow);
  if (denyBits >= 0 && denyBits >= allowBits) return deny('denied-range');
  if (allowBits >= 0) return { allowed: true, address: text, reason: 'allowed-range' };
  if (isLoopback(ip)) {
    return { allowed: policy.config.allowLoopback, address: text, reason: 'loopback' };
  }
  if (isPrivate(ip)) {
    return { allowed: policy.config.allowPrivate, address: text, reason: 'private' };
  }
  return { allowed: true, address: text, reason: 'public' };
}

/** DNS resolution as the policy needs it: every address of a name. Injectable for tests. */
export type EgressLookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** The system resolver (getaddrinfo, so /etc/hosts and numeric forms count). */
export const systemLookup: EgressLookup = (hostname) =>
  dnsLookup(hostname, { all: true, verbatim: true });

/** Raised when a target is refused; the message names the host and the reason, not the IP. */
export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';
  constructor(
    readonly hostname: string,
    readonly reason: EgressReason,
  ) {
    super(`connecting to "${hostname}" is not allowed: it is ${EGRESS_REASON_TEXT[reason]}`);
    this.name = 'EgressDeniedError';
  }
}

/** Every address of a host, each one checked; connect only to these. */
export interface CheckedTarget {
  hostname: string;
  port: number;
  /** Allowed addresses in resolver order; IPv4 first when both families resolved. */
  addresses: string[];
}

/**
 * Resolves `hostname` and checks every resolved address. One denied address denies the whole
 * name (a name that also points inside is an attack or a misconfiguration).
 * @param hostname a name or an address literal in any spelling (`[::1]`, `2852039166`).
 * @throws EgressDeniedError when any resolved address is denied; the resolver's own error
 *   (`ENOTFOUND`, ...) when the name does not resolve.
 */
export async function resolveEgressTarget(
  policy: CompiledEgressPolicy,
  hostname: string,
  port: number,
  lookup: EgressLookup = systemLookup,
): Promise<CheckedTarget> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const literal = normaliseAddress(bare);
  const answers = literal
    ? [{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }]
    : await lookup(bare);
  if (answers.length === 0) throw new EgressDeniedError(hostname, 'invalid-address');
  const addresses: string[] = [];
  for (const answer of answers) {
    const decision = checkEgressAddress(policy, answer.address, port);
    if (!decision.allowed) throw new EgressDeniedError(hostname, decision.reason);
    addresses.push(decision.address);
  }
  addresses.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
  return { hostname: bare, port, addresses };
}
