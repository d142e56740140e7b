import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import { AuditSinkCursorEntity } from './audit-sink-cursor.entity';

/**
 * Cursors and leases of the SIEM sinks (instance-wide, like the chain: no workspace id). Each
 * write is one conditional UPDATE, atomic on PostgreSQL and SQLite alike, so two replicas never
 * both hold a sink's lease and a replica that lost it can no longer move the cursor.
 */
@Injectable()
export class AuditSinkCursorRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates the sink's row (cursor 0, no holder) when missing; a concurrent create is fine. */
  async ensure(sink: string): Promise<void> {
    const repo = this.dataSource.getRepository(AuditSinkCursorEntity);
    if (await repo.existsBy({ sink })) return;
    await repo
      .createQueryBuilder()
      .insert()
      .values({ sink, lastSequence: 0, leaseHolder: null, leaseUntil: 0 })
      .orIgnore()
      .execute();
  }

  /**
   * Takes or renews the lease of `sink` for `holder` until `until` (epoch ms): succeeds when
   * nobody holds it, `holder` does, or the lease ran out before `now`.
   * @returns the persisted cursor (last shipped sequence) when the lease is held, else null
   */
  async acquire(sink: string, holder: string, now: number, until: number): Promise<number | null> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(AuditSinkCursorEntity)
      .set({ leaseHolder: holder, leaseUntil: until })
      .where('sink = :sink', { sink })
      .andWhere(
        new Brackets((w) => {
          w.where('lease_holder IS NULL')
            .orWhere('lease_holder = :holder', { holder })
            .orWhere('lease_until < :now', { now });
        }),
      )
      .execute();
    if (!result.affected) return null;
    const row = await this.dataSource
      .getRepository(AuditSinkCursorEntity)
      .findOneByOrFail({ sink });
    return row.leaseHolder === holder ? row.lastSequence : null;
  }

  /**
   * Moves the cursor forward to `sequence` and renews the lease, only while `holder` holds it
   * (never backwards).
   * @returns false when the lease was lost (another replica ships now)
   */
  async advance(sink: string, holder: string, sequence: number, until: number): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(AuditSinkCursorEntity)
      .set({ lastSequence: sequence, leaseUntil: until })
      .where('sink = :sink AND lease_holder = :holder', { sink, holder })
      .andWhere('last_sequence <= :sequence', { sequence })
      .execute();
    return Boolean(result.affected);
  }

  /** Gives the lease up (shutdown), so another replica takes over at once. */
  async release(sink: string, holder: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(AuditSinkCursorEntity)
      .set({ leaseUntil: 0 })
      .where('sink = :sink AND lease_holder = :holder', { sink, holder })
      .execute();
  }

  /** Every sink's cursor, for the status line and tests. */
  list(): Promise<AuditSinkCursorEntity[]> {
    return this.dataSource.getRepository(AuditSinkCursorEntity).find({ order: { sink: 'ASC' } });
  }
}
