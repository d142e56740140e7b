import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import {
  bigintColumn,
  intColumn,
  isPostgres,
  textColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';
import { installAuditGuards, removeAuditGuards } from './audit-guards';

/** The append-only, hash-chained audit log: entries, the chain head and retention checkpoints. */
export class AuditEvents1764400500000 implements MigrationInterface {
  name = 'AuditEvents1764400500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { ...bigintColumn('sequence'), isPrimary: true },
          timestampColumn(queryRunner, 'occurred_at'),
          varcharColumn('actor_user_id', 36, true),
          varcharColumn('actor_email', 320, true),
          varcharColumn('workspace_id', 36, true),
          varcharColumn('action', 64),
          varcharColumn('target_type', 64, true),
          varcharColumn('target_id', 128, true),
          varcharColumn('ip', 64, true),
          varcharColumn('user_agent', 256, true),
          varcharColumn('correlation_id', 64, true),
          textColumn('details'),
          varcharColumn('prev_hash', 64),
          varcharColumn('hash', 64),
        ],
      }),
    );
    // Listing is per workspace, newest first; instance-level entries (logins) by actor/target.
    await queryRunner.createIndices('audit_events', [
      new TableIndex({
        name: 'ix_audit_events_workspace',
        columnNames: ['workspace_id', 'sequence'],
      }),
      new TableIndex({ name: 'ix_audit_events_actor', columnNames: ['actor_user_id', 'sequence'] }),
      new TableIndex({ name: 'ix_audit_events_occurred', columnNames: ['occurred_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [
          { ...varcharColumn('id', 16), isPrimary: true },
          bigintColumn('last_sequence'),
          varcharColumn('last_hash', 64),
        ],
      }),
    );
    const marks = isPostgres(queryRunner) ? '$1, $2, $3' : '?, ?, ?';
    await queryRunner.query(
      `INSERT INTO audit_chain_head (id, last_sequence, last_hash) VALUES (${marks})`,
      ['instance', 0, '0'.repeat(64)],
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          { ...bigintColumn('sequence'), isPrimary: true },
          varcharColumn('hash', 64),
          timestampColumn(queryRunner, 'occurred_at'),
          timestampColumn(queryRunner, 'pruned_at'),
          intColumn('removed_count'),
        ],
      }),
    );
    await installAuditGuards(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await removeAuditGuards(queryRunner);
    await queryRunner.dropTable('audit_checkpoints', true);
    await queryRunner.dropTable('audit_chain_head', true);
    await queryRunner.dropTable('audit_events', true);
  }
}
