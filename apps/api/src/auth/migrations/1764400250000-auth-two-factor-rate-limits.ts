import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import {
  bigintColumn,
  intColumn,
  refColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';

/**
 * Two-factor recovery codes, the TOTP replay guard (last accepted time step per user) and the shared
 * rate-limit counters (one row per throttler key, so several API replicas share them).
 */
export class AuthTwoFactorRateLimits1764400250000 implements MigrationInterface {
  name = 'AuthTwoFactorRateLimits1764400250000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Its own table, not a column of `users`: adding a column on SQLite rebuilds the table.
    await queryRunner.createTable(
      new Table({
        name: 'totp_last_steps',
        columns: [{ ...refColumn('user_id'), isPrimary: true }, bigintColumn('step')],
        foreignKeys: [
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          refColumn('user_id'),
          // SHA-256 (hex) of a 128-bit random code: a copy of the table opens no account.
          { ...varcharColumn('code_hash', 64), isPrimary: true },
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'used_at', true),
        ],
        indices: [{ name: 'ix_recovery_codes_user', columnNames: ['user_id'] }],
      }),
    );
    await queryRunner.createForeignKey(
      'recovery_codes',
      new TableForeignKey({
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'rate_limit_counters',
        columns: [
          { ...varcharColumn('key', 64), isPrimary: true },
          intColumn('hits'),
          // Epoch milliseconds: compared with one clock value in a single statement.
          bigintColumn('window_ends_at'),
          bigintColumn('blocked_until', true),
        ],
        indices: [{ name: 'ix_rate_limit_window', columnNames: ['window_ends_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('rate_limit_counters', true);
    await queryRunner.dropTable('recovery_codes', true);
    await queryRunner.dropTable('totp_last_steps', true);
  }
}
