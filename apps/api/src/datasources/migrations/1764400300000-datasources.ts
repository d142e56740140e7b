import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import {
  idColumn,
  intColumn,
  refColumn,
  textColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';

/**
 * Datasources (config in the clear as JSON text) and their encrypted secret fields, one row
 * per field. Secrets cascade with their datasource; datasources cascade with their workspace.
 */
export class Datasources1764400300000 implements MigrationInterface {
  name = 'Datasources1764400300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'datasources',
        columns: [
          idColumn(),
          refColumn('workspace_id'),
          varcharColumn('name', 120),
          varcharColumn('name_key', 120),
          varcharColumn('type', 16),
          textColumn('config'),
          intColumn('version'),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
        indices: [
          {
            name: 'uq_datasources_workspace_name',
            columnNames: ['workspace_id', 'name_key'],
            isUnique: true,
          },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'datasource_secrets',
        columns: [
          { ...refColumn('datasource_id'), isPrimary: true },
          { ...varcharColumn('field', 160), isPrimary: true },
          refColumn('workspace_id'),
          textColumn('ciphertext'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
        indices: [{ name: 'ix_datasource_secrets_workspace', columnNames: ['workspace_id'] }],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['datasource_id'],
            referencedTableName: 'datasources',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('datasource_secrets', true);
    await queryRunner.dropTable('datasources', true);
  }
}
