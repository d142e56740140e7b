import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import {
  idColumn,
  refColumn,
  textColumn,
  timestampColumn,
  varcharColumn,
} from '../../database/migration-helpers';

/**
 * The credential vault's own tables: one wrapped data key per datasource, and the canary that
 * tells at boot whether the configured key is the one this database was written with.
 * No foreign key to `datasources`: that table belongs to another module and may come later;
 * the datasources module deletes the data key in the same transaction as the datasource.
 */
export class CredentialVault1764400100000 implements MigrationInterface {
  name = 'CredentialVault1764400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'vault_data_keys',
        columns: [
          idColumn('datasource_id'),
          refColumn('workspace_id'),
          varcharColumn('kek_id', 32),
          textColumn('wrapped_key'),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
        indices: [
          // `vault rotate` scans for rows not under the active key.
          { name: 'ix_vault_data_keys_kek_id', columnNames: ['kek_id', 'datasource_id'] },
          { name: 'ix_vault_data_keys_workspace_id', columnNames: ['workspace_id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'vault_canary',
        columns: [
          { ...varcharColumn('id', 32), isPrimary: true },
          varcharColumn('kek_id', 32),
          textColumn('sealed'),
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('vault_canary', true);
    await queryRunner.dropTable('vault_data_keys', true);
  }
}
