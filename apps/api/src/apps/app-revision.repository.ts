import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, LessThan, Not } from 'typeorm';
import { AppRevisionEntity } from './app-revision.entity';

/**
 * App revisions. Every method takes the workspace id first and scopes by it (and by the app),
 * so a revision of another workspace can never be read, restored or pruned through this one.
 * Writes take the caller's `EntityManager` (they run inside the save's transaction).
 */
@Injectable()
export class AppRevisionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The newest revision of the app (highest number), or null. */
  latest(workspaceId: string, appId: string, m: EntityManager): Promise<AppRevisionEntity | null> {
    return m.findOne(AppRevisionEntity, {
      where: { workspaceId, appId },
      order: { version: 'DESC' },
    });
  }

  /** The revision just before number `version`, or null. */
  before(
    workspaceId: string,
    appId: string,
    version: number,
    m: EntityManager,
  ): Promise<AppRevisionEntity | null> {
    return m.findOne(AppRevisionEntity, {
      where: { workspaceId, appId, version: LessThan(version) },
      order: { version: 'DESC' },
    });
  }

  find(
    workspaceId: string,
    appId: string,
    revisionId: string,
    m?: EntityManager,
  ): Promise<AppRevisionEntity | null> {
    return (m ?? this.dataSource.manager).findOneBy(AppRevisionEntity, {
      workspaceId,
      appId,
      id: revisionId,
    });
  }

  /** Newest first, numbers below `before` when given, at most `limit`. */
  list(
    workspaceId: string,
    appId: string,
    before: number | undefined,
    limit: number,
  ): Promise<AppRevisionEntity[]> {
    return this.dataSource.manager.find(AppRevisionEntity, {
      where: {
        workspaceId,
        appId,
        ...(before !== undefined ? { version: LessThan(before) } : {}),
      },
      order: { version: 'DESC' },
      take: limit,
    });
  }

  async insert(workspaceId: string, row: AppRevisionEntity, m: EntityManager): Promise<void> {
    await m.insert(AppRevisionEntity, { ...row, workspaceId });
  }

  async update(
    workspaceId: string,
    id: string,
    patch: Partial<
      Pick<AppRevisionEntity, 'snapshot' | 'summary' | 'appVersion' | 'createdAt' | 'published'>
    >,
    m: EntityManager,
  ): Promise<void> {
    await m.update(AppRevisionEntity, { workspaceId, id }, patch);
  }

  /**
   * Retention: deletes the app's unpublished revisions made before `cutoff`, except number
   * `keep` (the newest, the base of the next summary).
   * @returns how many were removed
   */
  async prune(
    workspaceId: string,
    appId: string,
    cutoff: Date,
    keep: number,
    m: EntityManager,
  ): Promise<number> {
    const result = await m.delete(AppRevisionEntity, {
      workspaceId,
      appId,
      published: false,
      createdAt: LessThan(cutoff),
      version: Not(keep),
    });
    return result.affected ?? 0;
  }

  /**
   * Instance-wide retention (the operator command `apps prune-revisions`): deletes every
   * unpublished revision made before `cutoff` that is not its app's newest. Not scoped by
   * workspace on purpose: it serves every workspace at once, like `audit prune`.
   * @returns how many were removed
   */
  async pruneAll(cutoff: Date): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(AppRevisionEntity)
      .where('published = :published AND created_at < :cutoff', { published: false, cutoff })
      .andWhere(
        'version < (SELECT MAX(r2.version) FROM app_revisions r2 WHERE r2.app_id = app_revisions.app_id)',
      )
      .execute();
    return result.affected ?? 0;
  }

  /** Emails of the given users (authors), by id; unknown ids are left out. */
  async authorEmails(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource
      .createQueryBuilder()
      .select('u.id', 'id')
      .addSelect('u.email', 'email')
      .from('users', 'u')
      .where('u.id IN (:...ids)', { ids })
      .getRawMany<{ id: string; email: string }>();
    return new Map(rows.map((r) => [r.id, r.email]));
  }
}
