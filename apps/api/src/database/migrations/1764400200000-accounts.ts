import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import {
  boolColumn,
  idColumn,
  refColumn,
  textColumn,
  timestampColumn,
  varcharColumn,
} from '../migration-helpers';

/** Users, server-side sessions, workspaces and memberships with roles. */
export class Accounts1764400200000 implements MigrationInterface {
  name = 'Accounts1764400200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          idColumn(),
          varcharColumn('email', 320),
          textColumn('password_hash'),
          textColumn('totp_secret_sealed', true),
          boolColumn('totp_enabled', false),
          timestampColumn(queryRunner, 'password_changed_at'),
          timestampColumn(queryRunner, 'created_at'),
        ],
        indices: [{ name: 'uq_users_email', columnNames: ['email'], isUnique: true }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          // SHA-256 of the cookie token: a copy of this table gives no live session.
          { ...varcharColumn('id', 64), isPrimary: true },
          refColumn('user_id'),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'last_seen_at'),
          timestampColumn(queryRunner, 'expires_at'),
          timestampColumn(queryRunner, 'revoked_at', true),
          varcharColumn('ip', 64, true),
          varcharColumn('user_agent', 256, true),
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'sessions',
      new TableForeignKey({
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createIndex(
      'sessions',
      new TableIndex({ name: 'ix_sessions_user', columnNames: ['user_id'] }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'workspaces',
        columns: [
          idColumn(),
          varcharColumn('name', 120),
          boolColumn('require_two_factor', false),
          timestampColumn(queryRunner, 'created_at'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'memberships',
        columns: [
          { ...refColumn('workspace_id'), isPrimary: true },
          { ...refColumn('user_id'), isPrimary: true },
          varcharColumn('role', 16),
          timestampColumn(queryRunner, 'created_at'),
        ],
      }),
    );
    await queryRunner.createForeignKeys('memberships', [
      new TableForeignKey({
        columnNames: ['workspace_id'],
        referencedTableName: 'workspaces',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
      new TableForeignKey({
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    ]);
    await queryRunner.createIndex(
      'memberships',
      new TableIndex({ name: 'ix_memberships_user', columnNames: ['user_id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('memberships', true);
    await queryRunner.dropTable('workspaces', true);
    await queryRunner.dropTable('sessions', true);
    await queryRunner.dropTable('users', true);
  }
}
