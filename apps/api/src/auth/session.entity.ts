import type { TSignInMethod } from '@bastion/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A server-side session. `id` is the SHA-256 (hex) of the opaque cookie token. */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /**
   * Random UUID naming the session in the API (list, revoke). Unrelated to the token, so
   * knowing it opens nothing. Set on every row (migration `SessionPublicIds1764400600000`).
   */
  @Column({ name: 'public_id', type: 'varchar', length: 36 })
  publicId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /**
   * How the session signed in; policies such as a workspace's "require two-factor" read it
   * (`TWO_FACTOR_SIGN_IN_METHODS`). Migration `SessionSignInMethods1764400800000`.
   */
  @Column({ name: 'sign_in_method', type: 'varchar', length: 32 })
  signInMethod: TSignInMethod;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: Date })
  lastSeenAt: Date;

  /** Absolute expiry. */
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;
}
