import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/**
 * argon2id parameters: m=19 MiB, t=2, p=1, the OWASP Password Storage Cheat Sheet minimum
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html).
 * Raising them makes `needsRehash` true for older hashes, which login then upgrades.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456, // KiB
  timeCost: 2,
  parallelism: 1,
} as const;

@Injectable()
export class PasswordHasher {
  /** A hash of a random value, verified when the account does not exist so timing matches. */
  private dummyHash: Promise<string> | undefined;

  /** @returns an argon2id PHC string. */
  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /** Constant-work verification; false on any malformed hash. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Burns the same work as a real verification (login for an unknown email). */
  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= argon2.hash(`dummy-${Date.now()}`, ARGON2_OPTIONS);
    await this.verify(await this.dummyHash, password);
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  }
}
