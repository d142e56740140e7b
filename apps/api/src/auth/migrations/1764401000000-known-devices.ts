import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { refColumn, timestampColumn, varcharColumn } from '../../database/migration-helpers';

/**
 * Known devices (`known_devices`): browsers that signed in to an account successfully, by the
 * SHA-256 of their device-cookie token. Sign-in attempts from one of them are not held by the
 * account's lockout counter (auth-throttler.guard.ts). Rows go with their user.
 */
export class KnownDevices1764401000000 implements MigrationInterface {
  name = 'KnownDevices1764401000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'known_devices',
        columns: [
          { ...varcharColumn('token_hash', 64), isPrimary: true },
          { ...refColumn('user_id'), isPrimary: true },
          timestampColumn(queryRunner, 'signed_in_at'),
          timestampColumn(queryRunner, 'expires_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [{ name: 'ix_known_devices_user', columnNames: ['user_id', 'signed_in_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('known_devices', true);
  }
}
