import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './audit-event.entity';

/**
 * Where one SIEM sink stands: the last sequence it has received (as far as its protocol can
 * tell) and which replica ships to it (a lease, renewed while shipping). See README.md,
 * "Streaming to a SIEM".
 */
@Entity('audit_sink_cursors')
export class AuditSinkCursorEntity {
  /** `syslog` or `http`. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  sink: string;

  @Column({ name: 'last_sequence', type: 'bigint', transformer: bigintNumber })
  lastSequence: number;

  /** The replica shipping now (host:pid:random), null when none ever did. */
  @Column({ name: 'lease_holder', type: 'varchar', length: 64, nullable: true })
  leaseHolder: string | null;

  /** Epoch milliseconds until which the holder's lease runs. */
  @Column({ name: 'lease_until', type: 'bigint', transformer: bigintNumber })
  leaseUntil: number;
}
