import { Inject, Injectable, Optional } from '@nestjs/common';
import { networkInterfaces } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import {
  CheckedTarget,
  compileEgressPolicy,
  CompiledEgressPolicy,
  EgressLookup,
  normaliseAddress,
  ProtectedEndpoint,
  resolveEgressTarget,
  systemLookup,
} from './egress-policy';

/** Optional injection token replacing the system resolver (tests). */
export const EGRESS_LOOKUP = Symbol('EGRESS_LOOKUP');

/**
 * The egress policy bound to this server's configuration. Adds the platform's own metadata
 * database as a protected endpoint: its resolved addresses at its port and, when it runs on
 * this host, every local address at that port.
 */
@Injectable()
export class EgressService {
  private policy: Promise<CompiledEgressPolicy> | undefined;
  private readonly lookup: EgressLookup;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(EGRESS_LOOKUP) lookup?: EgressLookup,
  ) {
    this.lookup = lookup ?? systemLookup;
  }

  /** Addresses operators asked users to allow in their firewalls (`PUBLIC_EGRESS_IPS`). */
  get publicIps(): string[] {
    return this.config.egress.publicIps;
  }

  /**
   * Resolves a host and checks every address (see `resolveEgressTarget`).
   * @throws EgressDeniedError, or the resolver's error for an unknown name.
   */
  async resolve(hostname: string, port: number): Promise<CheckedTarget> {
    return resolveEgressTarget(await this.compiled(), hostname, port, this.lookup);
  }

  private compiled(): Promise<CompiledEgressPolicy> {
    this.policy ??= this.protectedEndpoints().then((protectedEndpoints) =>
      compileEgressPolicy({
        deny: this.config.egress.deny,
        allow: this.config.egress.allow,
        allowPrivate: this.config.egress.allowPrivate,
        allowLoopback: this.config.egress.allowLoopback,
        protectedEndpoints,
      }),
    );
    return this.policy;
  }

  private async protectedEndpoints(): Promise<ProtectedEndpoint[]> {
    if (!this.config.databaseUrl) return [];
    const url = new URL(this.config.databaseUrl);
    const port = Number(url.port || 5432);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const literal = normaliseAddress(host);
    const addresses = literal
      ? [literal.toString()]
      : await this.lookup(host).then(
          (answers) => answers.map((a) => a.address),
          () => [] as string[],
        );
    const local = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((i) => i.address);
    const onThisHost = addresses.some(
      (a) => local.includes(a) || normaliseAddress(a)?.range() === 'loopback',
    );
    const all = onThisHost ? [...addresses, ...local, '127.0.0.1', '::1'] : addresses;
    return [...new Set(all)].map((address) => ({ address, port }));
  }
}
