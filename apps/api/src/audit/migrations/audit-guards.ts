import type { QueryRunner } from 'typeorm';
import { isPostgres } from '../../database/migration-helpers';

/**
 * Database triggers that make `audit_events` append-only below the application: any UPDATE is
 * refused, and a DELETE only of entries already covered by a retention checkpoint (which
 * `audit prune` writes first, in the same transaction). On PostgreSQL TRUNCATE is refused too.
 * Defence in depth against bugs and injected SQL; whoever can drop triggers can still edit, and
 * `audit verify` is what detects that.
 */
export async function installAuditGuards(queryRunner: QueryRunner): Promise<void> {
  if (isPostgres(queryRunner)) {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' OR TG_OP = 'TRUNCATE' THEN
          RAISE EXCEPTION 'audit_events is append-only';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.sequence >= OLD.sequence) THEN
          RAISE EXCEPTION 'audit_events: only entries behind a retention checkpoint can be removed';
        END IF;
        RETURN OLD;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_guard()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard()`,
    );
    return;
  }
  await queryRunner.query(
    `CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
  );
  await queryRunner.query(
    `CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
     WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.sequence >= OLD.sequence)
     BEGIN SELECT RAISE(ABORT, 'audit_events: only entries behind a retention checkpoint can be removed'); END`,
  );
}

/** Drops the triggers of {@link installAuditGuards} (migration `down`, tamper tests). */
export async function removeAuditGuards(queryRunner: QueryRunner): Promise<void> {
  if (isPostgres(queryRunner)) {
    await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events');
    await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events');
    await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_guard()');
    return;
  }
  await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_no_update');
  await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_no_delete');
}
