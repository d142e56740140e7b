import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './audit-event.entity';

/** Id of the one chain of the instance. */
export const AUDIT_CHAIN_ID = 'instance';

/**
 * The chain's head: the last sequence and hash. Appends lock this row first (an UPDATE, which
 * takes a row lock on PostgreSQL and the write lock on SQLite), so concurrent writers on any
 * number of API replicas serialise and the chain never forks. Verification also compares the
 * last entry with this row, which detects entries removed from the end.
 */
@Entity('audit_chain_head')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id: string;

  @Column({ name: 'last_sequence', type: 'bigint', transformer: bigintNumber })
  lastSequence: number;

  @Column({ name: 'last_hash', type: 'varchar', length: 64 })
  lastHash: string;
}
