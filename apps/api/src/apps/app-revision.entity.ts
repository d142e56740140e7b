import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One saved state of an app's draft: definition and draft queries (see app-revision.service.ts). */
@Entity('app_revisions')
export class AppRevisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  /** The revision's number in its app's history, from 1. */
  @Column({ type: 'integer' })
  version: number;

  /** `apps.version` of the definition this revision holds. */
  @Column({ name: 'app_version', type: 'integer' })
  appVersion: number;

  /** The user whose save made it; null for system writes. */
  @Column({ name: 'author_id', type: 'varchar', length: 36, nullable: true })
  authorId: string | null;

  /** JSON text of {@link RevisionSnapshot}. */
  @Column({ type: 'text' })
  snapshot: string;

  /** JSON text of the `TRevisionSummary` against the revision before it. */
  @Column({ type: 'text' })
  summary: string;

  @Column({ type: 'boolean', default: false })
  published: boolean;

  /** The number of the revision this one restored, if it is a restore. */
  @Column({ name: 'restored_from', type: 'integer', nullable: true })
  restoredFrom: number | null;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;
}
