import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import {
  idColumn,
  intColumn,
  refColumn,
  textColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';

/**
 * Apps (draft + published definition), their saved queries (drafts) and the published copy of
 * the queries. One schema for SQLite and PostgreSQL (Table API and migration helpers).
 */
export class Apps1764400400000 implements MigrationInterface {
  name = 'Apps1764400400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'apps',
        columns: [
          idColumn(),
          refColumn('workspace_id'),
          varcharColumn('name', 120),
          textColumn('draft_definition'),
          textColumn('published_definition', true),
          timestampColumn(queryRunner, 'published_at', true),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['workspace_id'],
            referencedTableName: 'workspaces',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [new TableIndex({ name: 'ix_apps_workspace', columnNames: ['workspace_id'] })],
      }),
    );
    const queryColumns = [
      refColumn('workspace_id'),
      varcharColumn('name', 64),
      refColumn('datasource_id'),
      textColumn('body'),
      textColumn('params'),
      intColumn('timeout_ms', true),
      intColumn('max_rows', true),
    ];
    const appFk = () =>
      new TableForeignKey({
        columnNames: ['app_id'],
        referencedTableName: 'apps',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });
    await queryRunner.createTable(
      new Table({
        name: 'app_queries',
        columns: [
          idColumn(),
          refColumn('app_id'),
          ...queryColumns,
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
        foreignKeys: [appFk()],
        indices: [
          new TableIndex({
            name: 'uq_app_queries_name',
            columnNames: ['app_id', 'name'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_app_queries_workspace', columnNames: ['workspace_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'app_published_queries',
        columns: [
          { ...refColumn('app_id'), isPrimary: true },
          { ...refColumn('query_id'), isPrimary: true },
          ...queryColumns,
          timestampColumn(queryRunner, 'published_at'),
        ],
        foreignKeys: [appFk()],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('app_published_queries', true);
    await queryRunner.dropTable('app_queries', true);
    await queryRunner.dropTable('apps', true);
  }
}
