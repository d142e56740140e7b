import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { textColumn, timestampColumn, varcharColumn } from '../migration-helpers';

/** Instance-wide key/value settings (schema version markers, setup state). */
export class InstanceSettings1764400000000 implements MigrationInterface {
  name = 'InstanceSettings1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'instance_settings',
        columns: [
          { ...varcharColumn('key', 100), isPrimary: true },
          textColumn('value'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('instance_settings', true);
  }
}
