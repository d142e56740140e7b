import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DatasourceType } from './connectors/connector';

/** A datasource: non-secret config in the clear (JSON text); secrets live in `datasource_secrets`. */
@Entity('datasources')
export class DatasourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  /** Lower-cased name, unique per workspace. */
  @Column({ name: 'name_key', type: 'varchar', length: 120 })
  nameKey: string;

  @Column({ type: 'varchar', length: 16 })
  type: DatasourceType;

  /** JSON text of the validated, secret-free config. */
  @Column({ type: 'text' })
  config: string;

  /** Incremented on every update; pools are keyed by id + version. */
  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;
}
