import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One datasource's data key, wrapped (AES-256-GCM) under the KEK named by `kekId`. */
@Entity('vault_data_keys')
export class VaultDataKeyEntity {
  @PrimaryColumn({ name: 'datasource_id', type: 'varchar', length: 36 })
  datasourceId: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ name: 'kek_id', type: 'varchar', length: 32 })
  kekId: string;

  /** `v1.<nonce>.<ciphertext||tag>`; AAD binds it to workspace, datasource and `kekId`. */
  @Column({ name: 'wrapped_key', type: 'text' })
  wrappedKey: string;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;

  /** Wrapped keys are not secret on their own, but have no business in a response or log. */
  toJSON(): Record<string, unknown> {
    return { datasourceId: this.datasourceId, workspaceId: this.workspaceId, kekId: this.kekId };
  }
}
