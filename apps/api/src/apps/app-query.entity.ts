import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Columns shared by a draft query and its published copy. */
export abstract class QueryColumns {
  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'datasource_id', type: 'varchar', length: 36 })
  datasourceId: string;

  /** JSON text: `{sql}` or `{method,path,headers?,query?,body?}`. */
  @Column({ type: 'text' })
  body: string;

  /** JSON text of the declared parameters (`TQueryParamSpec[]`). */
  @Column({ type: 'text' })
  params: string;

  @Column({ name: 'timeout_ms', type: 'integer', nullable: true })
  timeoutMs: number | null;

  @Column({ name: 'max_rows', type: 'integer', nullable: true })
  maxRows: number | null;
}

/** A saved query of an app, as editors edit it (the draft). */
@Entity('app_queries')
export class AppQueryEntity extends QueryColumns {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  /** Optimistic-concurrency version of this draft query (`If-Match`). */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt: Date;
}

/** The frozen copy of a query made when its app was published: what viewers run. */
@Entity('app_published_queries')
export class AppPublishedQueryEntity extends QueryColumns {
  @PrimaryColumn({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @PrimaryColumn({ name: 'query_id', type: 'varchar', length: 36 })
  queryId: string;

  @Column({ name: 'published_at', type: Date })
  publishedAt: Date;
}
