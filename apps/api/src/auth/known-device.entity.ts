import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A browser that signed in to an account successfully: the SHA-256 (hex) of its device-cookie
 * token and the account. One token may name several accounts (people sharing a browser); a
 * copy of the table gives no cookie.
 */
@Entity('known_devices')
export class KnownDeviceEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** Last successful sign-in of this account from this browser. */
  @Column({ name: 'signed_in_at', type: Date })
  signedInAt: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
