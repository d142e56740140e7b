import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An app: its draft definition and, once published, the frozen copy viewers get. */
@Entity('apps')
export class AppEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  /** JSON text of the draft `TAppDefinition`. */
  @Column({ name: 'draft_definition', type: 'text' })
  draftDefinition: string;

  /** JSON text of the published `TAppDefinition`; null until first published. */
  @Column({ name: 'published_definition', type: 'text', nullable: true })
  publishedDefinition: string | null;

  @Column({ name: 'published_at', type: Date, nullable: true })
  publishedAt: Date | null;

  /** Optimistic-concurrency version of name and draft definition (`If-Match`). */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;
}
