import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The canary: a known value sealed under a KEK at first boot, opened at every boot. */
@Entity('vault_canary')
export class VaultCanaryEntity {
  /** Always {@link CANARY_ROW_ID}; a table of one row keeps the check a primary-key read. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ name: 'kek_id', type: 'varchar', length: 32 })
  kekId: string;

  /** `v1.<nonce>.<ciphertext||tag>` of {@link CANARY_PLAINTEXT}; AAD binds `kekId`. */
  @Column({ type: 'text' })
  sealed: string;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;
}

export const CANARY_ROW_ID = 'canary';
/** Not secret: its only job is to prove that a KEK is the one that sealed it. */
export const CANARY_PLAINTEXT = 'bastion-vault-canary-v1';
