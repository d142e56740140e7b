import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One encrypted secret field of a datasource. `ciphertext` is the vault's stored form
 * (`v1.<nonce>.<ciphertext||tag>`, AAD-bound to workspace, datasource and field); it never
 * leaves the server.
 */
@Entity('datasource_secrets')
export class DatasourceSecretEntity {
  @PrimaryColumn({ name: 'datasource_id', type: 'varchar', length: 36 })
  datasourceId: string;

  @PrimaryColumn({ type: 'varchar', length: 160 })
  field: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ type: 'text' })
  ciphertext: string;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;

  /** Never serialize the ciphertext, whatever a caller does with the entity. */
  toJSON(): Record<string, unknown> {
    return { datasourceId: this.datasourceId, field: this.field };
  }
}
