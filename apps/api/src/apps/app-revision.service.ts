import { Inject, Injectable } from '@nestjs/common';
import type {
  TAppDefinition,
  TAppRevision,
  TQueryBody,
  TQueryParamSpec,
  TRevisionSummary,
} from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AppEntity } from './app.entity';
import { AppErrorCode, AppsException } from './app.exception';
import { AppQueryEntity } from './app-query.entity';
import { AppRevisionEntity } from './app-revision.entity';
import { AppRevisionRepository } from './app-revision.repository';
import {
  isEmptySummary,
  summarize,
  type RevisionSnapshot,
  type SnapshotQuery,
} from './app-revision-diff';

/**
 * Consecutive saves by the same author within this window update that author's newest
 * revision instead of adding one (an autosave every keystroke pause would otherwise keep
 * hundreds of revisions an hour). A published revision, a restore, or another author's save
 * always starts a new one.
 */
export const REVISION_COALESCE_MS = 60_000;

const DAY_MS = 86_400_000;

/** The revision a save wrote (or updated, when coalesced). */
export interface RevisionRef {
  id: string;
  version: number;
}

export function toSnapshotQuery(q: {
  id: string;
  name: string;
  datasourceId: string;
  body: string;
  params: string;
  timeoutMs: number | null;
  maxRows: number | null;
}): SnapshotQuery {
  return {
    id: q.id,
    name: q.name,
    datasourceId: q.datasourceId,
    body: JSON.parse(q.body) as TQueryBody,
    params: JSON.parse(q.params) as TQueryParamSpec[],
    timeoutMs: q.timeoutMs,
    maxRows: q.maxRows,
  };
}

/**
 * Version history of apps (README.md here): every save of the definition or of a draft query
 * keeps a revision (definition + draft queries), coalesced per {@link REVISION_COALESCE_MS};
 * publishing marks the revision it published; restoring writes a new revision. Retention:
 * unpublished revisions older than `APP_REVISION_RETENTION_DAYS` are pruned on the app's next
 * save (published ones and the newest are kept).
 */
@Injectable()
export class AppRevisionService {
  constructor(
    private readonly repository: AppRevisionRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The app's current draft as a snapshot, read inside the caller's transaction. */
  async currentSnapshot(
    workspaceId: string,
    appId: string,
    m: EntityManager,
  ): Promise<{ app: AppEntity; snapshot: RevisionSnapshot }> {
    const app = await m.findOneBy(AppEntity, { workspaceId, id: appId });
    if (!app) throw new AppsException(AppErrorCode.AppNotFound, 'App not found');
    const queries = await m.find(AppQueryEntity, {
      where: { workspaceId, appId },
      order: { id: 'ASC' },
    });
    return {
      app,
      snapshot: {
        name: app.name,
        definition: JSON.parse(app.draftDefinition) as TAppDefinition,
        queries: queries.map(toSnapshotQuery),
      },
    };
  }

  /**
   * Keeps a revision of the app's current draft, inside the caller's transaction (which has
   * already written the app row, so concurrent saves of one app are serialized by its lock).
   * Coalesces into the author's newest revision within {@link REVISION_COALESCE_MS}; a save
   * that changes nothing keeps no new revision. Prunes expired revisions of this app.
   * @param options.restoredFrom: set for a restore (always a new revision)
   * @param options.forceNew: never coalesce (publish)
   */
  async record(
    workspaceId: string,
    appId: string,
    authorId: string | null,
    m: EntityManager,
    options: { restoredFrom?: number; forceNew?: boolean; now?: Date } = {},
  ): Promise<RevisionRef> {
    const now = options.now ?? new Date();
    const { app, snapshot } = await this.currentSnapshot(workspaceId, appId, m);
    const latest = await this.repository.latest(workspaceId, appId, m);
    const latestSnapshot = latest ? (JSON.parse(latest.snapshot) as RevisionSnapshot) : null;
    const restore = options.restoredFrom !== undefined;

    const coalesce =
      latest !== null &&
      !restore &&
      !options.forceNew &&
      !latest.published &&
      latest.restoredFrom === null &&
      latest.authorId === authorId &&
      now.getTime() - new Date(latest.createdAt).getTime() < REVISION_COALESCE_MS;
    let ref: RevisionRef;
    if (coalesce) {
      const previous = await this.repository.before(workspaceId, appId, latest.version, m);
      const summary = summarize(
        previous ? (JSON.parse(previous.snapshot) as RevisionSnapshot) : null,
        snapshot,
      );
      await this.repository.update(
        workspaceId,
        latest.id,
        {
          snapshot: JSON.stringify(snapshot),
          summary: JSON.stringify(summary),
          appVersion: app.version,
          createdAt: now,
        },
        m,
      );
      ref = { id: latest.id, version: latest.version };
    } else {
      const summary = summarize(latestSnapshot, snapshot);
      if (latest && !restore && isEmptySummary(summary)) {
        // Nothing changed since the newest revision (a repeated autosave): keep it.
        if (latest.appVersion !== app.version) {
          await this.repository.update(workspaceId, latest.id, { appVersion: app.version }, m);
        }
        return { id: latest.id, version: latest.version };
      }
      const row: AppRevisionEntity = {
        id: randomUUID(),
        workspaceId,
        appId,
        version: (latest?.version ?? 0) + 1,
        appVersion: app.version,
        authorId,
        snapshot: JSON.stringify(snapshot),
        summary: JSON.stringify(summary),
        published: false,
        restoredFrom: options.restoredFrom ?? null,
        createdAt: now,
      };
      await this.repository.insert(workspaceId, row, m);
      ref = { id: row.id, version: row.version };
    }
    const cutoff = new Date(now.getTime() - this.config.appRevisionRetentionDays * DAY_MS);
    await this.repository.prune(workspaceId, appId, cutoff, ref.version, m);
    return ref;
  }

  /** Marks the revision of the draft being published (writing one if the draft has none). */
  async markPublished(
    workspaceId: string,
    appId: string,
    authorId: string | null,
    m: EntityManager,
  ): Promise<RevisionRef> {
    const ref = await this.record(workspaceId, appId, authorId, m, { forceNew: true });
    await this.repository.update(workspaceId, ref.id, { published: true }, m);
    return ref;
  }

  /** A revision's snapshot for a restore. @throws 404 (also for another workspace's). */
  async snapshotOf(
    workspaceId: string,
    appId: string,
    revisionId: string,
    m: EntityManager,
  ): Promise<{ revision: AppRevisionEntity; snapshot: RevisionSnapshot }> {
    const revision = await this.repository.find(workspaceId, appId, revisionId, m);
    if (!revision) {
      throw new AppsException(AppErrorCode.RevisionNotFound, 'Revision not found');
    }
    return { revision, snapshot: JSON.parse(revision.snapshot) as RevisionSnapshot };
  }

  /**
   * Prunes, across all apps, the unpublished revisions older than
   * `APP_REVISION_RETENTION_DAYS` (each app's newest is kept). Saves prune their own app; this
   * catches apps nobody edits any more.
   * @returns how many were removed
   */
  pruneExpired(now = new Date()): Promise<number> {
    return this.repository.pruneAll(
      new Date(now.getTime() - this.config.appRevisionRetentionDays * DAY_MS),
    );
  }

  /** Revisions newest first (numbers below `before`), with their authors' emails. */
  async list(
    workspaceId: string,
    appId: string,
    before: number | undefined,
    limit: number,
  ): Promise<TAppRevision[]> {
    const rows = await this.repository.list(workspaceId, appId, before, limit);
    const authorIds = [...new Set(rows.map((r) => r.authorId).filter((id) => id !== null))];
    const emails = await this.repository.authorEmails(authorIds);
    return rows.map((r) => ({
      id: r.id,
      version: r.version,
      appVersion: r.appVersion,
      authorId: r.authorId,
      authorEmail: r.authorId ? (emails.get(r.authorId) ?? null) : null,
      createdAt: new Date(r.createdAt).toISOString(),
      published: Boolean(r.published),
      restoredFrom: r.restoredFrom,
      summary: JSON.parse(r.summary) as TRevisionSummary,
    }));
  }
}
