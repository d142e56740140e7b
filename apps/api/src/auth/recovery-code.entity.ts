import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A single-use two-factor recovery code, stored only as its SHA-256. */
@Entity('recovery_codes')
export class RecoveryCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;
}
