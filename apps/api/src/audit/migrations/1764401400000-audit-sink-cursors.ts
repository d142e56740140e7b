import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { bigintColumn, varcharColumn } from '../../database/migration-helpers';

/**
 * Audit streaming (SIEM): one row per sink (`syslog`, `http`) with the last shipped sequence
 * (the persisted cursor) and the lease that makes one replica the sink's only shipper
 * (`lease_holder`, `lease_until` in epoch milliseconds). Rows are created by the shipper.
 */
export class AuditSinkCursors1764401400000 implements MigrationInterface {
  name = 'AuditSinkCursors1764401400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_sink_cursors',
        columns: [
          { ...varcharColumn('sink', 32), isPrimary: true },
          bigintColumn('last_sequence'),
          varcharColumn('lease_holder', 64, true),
          bigintColumn('lease_until'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_sink_cursors', true);
  }
}
