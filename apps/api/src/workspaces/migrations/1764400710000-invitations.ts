import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import {
  idColumn,
  refColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';

/**
 * Workspace invitations: a single-use link per invited email. Only the SHA-256 of the token is
 * stored (`token_hash`, unique), so a copy of this table opens nothing. A row is pending until
 * `accepted_at` or `revoked_at` is set; past `expires_at` it is dead too.
 */
export class Invitations1764400710000 implements MigrationInterface {
  name = 'Invitations1764400710000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'invitations',
        columns: [
          idColumn(),
          refColumn('workspace_id'),
          varcharColumn('email', 320),
          varcharColumn('role', 16),
          varcharColumn('token_hash', 64),
          refColumn('invited_by', true),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'expires_at'),
          timestampColumn(queryRunner, 'accepted_at', true),
          refColumn('accepted_by', true),
          timestampColumn(queryRunner, 'revoked_at', true),
        ],
        indices: [
          { name: 'uq_invitations_token_hash', columnNames: ['token_hash'], isUnique: true },
        ],
      }),
    );
    await queryRunner.createForeignKeys('invitations', [
      new TableForeignKey({
        columnNames: ['workspace_id'],
        referencedTableName: 'workspaces',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
      new TableForeignKey({
        columnNames: ['invited_by'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'SET NULL',
      }),
      new TableForeignKey({
        columnNames: ['accepted_by'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'SET NULL',
      }),
    ]);
    await queryRunner.createIndex(
      'invitations',
      new TableIndex({ name: 'ix_invitations_workspace', columnNames: ['workspace_id', 'email'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('invitations', true);
  }
}
