import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './audit-event.entity';

/**
 * Written by the retention command before it removes the oldest entries: the sequence, hash and
 * time of the last removed entry. Verification starts from the newest checkpoint, so the
 * remaining chain still verifies; the `audit.pruned` entry appended in the same transaction
 * records the same values inside the chain.
 */
@Entity('audit_checkpoints')
export class AuditCheckpointEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  sequence: number;

  @Column({ type: 'varchar', length: 64 })
  hash: string;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt: Date;

  @Column({ name: 'pruned_at', type: Date })
  prunedAt: Date;

  @Column({ name: 'removed_count', type: 'integer' })
  removedCount: number;
}
