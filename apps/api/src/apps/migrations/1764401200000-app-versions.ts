import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import {
  boolColumn,
  idColumn,
  intColumn,
  refColumn,
  textColumn,
  timestampColumn,
} from '../../database/migration-helpers';

/**
 * Issue 16: optimistic concurrency and version history for apps.
 *
 * - `apps.version`, `app_queries.version`: the version an editor sends back as `If-Match`
 *   (existing rows start at 1). Plain `ALTER TABLE ... ADD COLUMN` on both stores (TypeORM's
 *   `addColumn` rebuilds the table on SQLite).
 * - `app_revisions`: one row per save (consecutive saves by one author coalesce, see
 *   `app-revision.service.ts`): the draft definition and draft queries as JSON (`snapshot`),
 *   the author, the revision's number in the app (`version`), the app version it holds, the
 *   computed change summary and whether it was published. Rows go with their app.
 */
export class AppVersions1764401200000 implements MigrationInterface {
  name = 'AppVersions1764401200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE apps ADD COLUMN version integer NOT NULL DEFAULT 1');
    await queryRunner.query(
      'ALTER TABLE app_queries ADD COLUMN version integer NOT NULL DEFAULT 1',
    );
    await queryRunner.createTable(
      new Table({
        name: 'app_revisions',
        columns: [
          idColumn(),
          refColumn('workspace_id'),
          refColumn('app_id'),
          intColumn('version'),
          intColumn('app_version'),
          refColumn('author_id', true),
          textColumn('snapshot'),
          textColumn('summary'),
          boolColumn('published', false),
          intColumn('restored_from', true),
          timestampColumn(queryRunner, 'created_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['app_id'],
            referencedTableName: 'apps',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          { name: 'uq_app_revisions_version', columnNames: ['app_id', 'version'], isUnique: true },
          { name: 'ix_app_revisions_workspace', columnNames: ['workspace_id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('app_revisions', true);
    await queryRunner.query('ALTER TABLE app_queries DROP COLUMN version');
    await queryRunner.query('ALTER TABLE apps DROP COLUMN version');
  }
}
