import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How each session signed in (`sessions.sign_in_method`): `password`, `password+totp` or
 * `recovery-code` (issue 15, item 5), so a workspace's "require two-factor" checks the session
 * and not only the account's flag. Rows from before this migration are `password`: their
 * strength is unknown, and the weaker answer only asks a two-factor user to sign in again.
 * Plain `ALTER TABLE ... ADD COLUMN` with a constant default works alike on both stores.
 */
export class SessionSignInMethods1764400800000 implements MigrationInterface {
  name = 'SessionSignInMethods1764400800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE sessions ADD COLUMN sign_in_method varchar(32) NOT NULL DEFAULT 'password'",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN sign_in_method');
  }
}
