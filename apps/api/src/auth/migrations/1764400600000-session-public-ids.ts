import { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from '../../database/migration-helpers';

/**
 * A public id per session (`sessions.public_id`, random UUID v4), so the account page can name
 * a session to revoke without the API ever showing the token's hash, which is the lookup key
 * of a credential. Existing rows get a random id here; new ones from `SessionService.create`.
 *
 * Plain `ALTER TABLE ... ADD COLUMN` on both stores: TypeORM's `addColumn` rebuilds the table
 * on SQLite. The column stays nullable in SQL (SQLite cannot add a NOT NULL column without a
 * default); every row has a value after this migration.
 */
export class SessionPublicIds1764400600000 implements MigrationInterface {
  name = 'SessionPublicIds1764400600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sessions ADD COLUMN public_id varchar(36)');
    // A fresh random value per row: gen_random_uuid() (PostgreSQL 13+), or a v4 UUID built
    // from randomblob() on SQLite (version nibble 4, variant 8-b).
    const randomUuid = isPostgres(queryRunner)
      ? 'gen_random_uuid()::text'
      : `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
          substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) ||
          substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
    await queryRunner.query(
      `UPDATE sessions SET public_id = ${randomUuid} WHERE public_id IS NULL`,
    );
    await queryRunner.query('CREATE UNIQUE INDEX uq_sessions_public_id ON sessions (public_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX uq_sessions_public_id');
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN public_id');
  }
}
