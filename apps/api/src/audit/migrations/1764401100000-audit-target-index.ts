import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * An index for a person's own instance-level entries (`GET /api/me/audit-events`): entries
 * whose target is their account (failed sign-ins name the account in `target_id`). Entries by
 * actor already have `ix_audit_events_actor`. Creating an index touches no row, so the
 * append-only triggers are not involved.
 */
export class AuditTargetIndex1764401100000 implements MigrationInterface {
  name = 'AuditTargetIndex1764401100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({ name: 'ix_audit_events_target', columnNames: ['target_id', 'sequence'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('audit_events', 'ix_audit_events_target');
  }
}
