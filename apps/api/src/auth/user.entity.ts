import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Lower-cased, trimmed. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** argon2id PHC string; never leaves the auth module. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  /** TOTP seed sealed by the credential vault; null until two-factor is enrolled. */
  @Column({ name: 'totp_secret_sealed', type: 'text', nullable: true })
  totpSecretSealed: string | null;

  @Column({ name: 'totp_enabled', type: 'boolean', default: false })
  totpEnabled: boolean;

  /** Manages instance settings; set by first-run setup and `admin create` (migration 1764400700000). */
  @Column({ name: 'is_instance_admin', type: 'boolean', default: false })
  isInstanceAdmin: boolean;

  @Column({ name: 'password_changed_at', type: Date })
  passwordChangedAt: Date;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  /** Never serialize credentials, whatever a caller does with the entity. */
  toJSON(): Record<string, unknown> {
    return { id: this.id, email: this.email, totpEnabled: this.totpEnabled };
  }
}
