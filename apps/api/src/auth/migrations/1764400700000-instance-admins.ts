import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.is_instance_admin`: instance admins manage instance settings, among them who may
 * create workspaces (issue 15). New instance admins come from first-run setup and
 * `pnpm cli admin create`.
 *
 * Existing databases: the oldest account becomes the instance admin. First-run setup (and an
 * `admin create` run before it) only creates an account while none exists, so the oldest
 * account is the instance's first admin. Every later account could have been made by any
 * signed-in user through the old "add a member with a password" route (the pre-hijack this
 * issue closes), so none of them is trusted with instance rights; an operator makes more
 * instance admins with `admin create`.
 *
 * Plain `ALTER TABLE ... ADD COLUMN` on both stores (TypeORM's `addColumn` rebuilds the table
 * on SQLite).
 */
export class InstanceAdmins1764400700000 implements MigrationInterface {
  name = 'InstanceAdmins1764400700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE users ADD COLUMN is_instance_admin boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query(
      `UPDATE users SET is_instance_admin = true WHERE id = (
         SELECT id FROM users ORDER BY created_at ASC, id ASC LIMIT 1)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN is_instance_admin');
  }
}
