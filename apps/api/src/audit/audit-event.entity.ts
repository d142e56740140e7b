import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** bigint comes back as a string from PostgreSQL and a number from SQLite; use numbers. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One audit entry. Rows are only ever inserted (append) or removed as an oldest-first prefix by
 * the retention command; no code path updates them.
 */
@Entity('audit_events')
export class AuditEventEntity {
  /** Position in the instance's chain: 1, 2, 3... without gaps. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  sequence: number;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt: Date;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId: string | null;

  /** The actor's email at the time of the action (kept if the account changes later). */
  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true })
  actorEmail: string | null;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36, nullable: true })
  workspaceId: string | null;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 64, nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 128, nullable: true })
  targetId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  @Column({ name: 'correlation_id', type: 'varchar', length: 64, nullable: true })
  correlationId: string | null;

  /** Canonical JSON (sorted keys) of the details; hashed exactly as stored. */
  @Column({ type: 'text' })
  details: string;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash: string;

  @Column({ type: 'varchar', length: 64 })
  hash: string;
}
