import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AppEntity } from './app.entity';
import { AppPublishedQueryEntity, AppQueryEntity } from './app-query.entity';

/** Apps, draft queries and published queries. Every method takes the workspace id first. */
@Injectable()
export class AppRepository {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(AppEntity) private readonly apps: Repository<AppEntity>,
    @InjectRepository(AppQueryEntity) private readonly queries: Repository<AppQueryEntity>,
    @InjectRepository(AppPublishedQueryEntity)
    private readonly published: Repository<AppPublishedQueryEntity>,
  ) {}

  listApps(workspaceId: string, publishedOnly: boolean): Promise<AppEntity[]> {
    const qb = this.apps
      .createQueryBuilder('a')
      .where('a.workspace_id = :workspaceId', { workspaceId })
      .orderBy('a.name', 'ASC');
    if (publishedOnly) qb.andWhere('a.published_at IS NOT NULL');
    return qb.getMany();
  }

  findApp(workspaceId: string, appId: string): Promise<AppEntity | null> {
    return this.apps.findOneBy({ workspaceId, id: appId });
  }

  async insertApp(workspaceId: string, app: AppEntity): Promise<void> {
    await this.apps.insert({ ...app, workspaceId });
  }

  async updateApp(
    workspaceId: string,
    appId: string,
    patch: Partial<Pick<AppEntity, 'name' | 'draftDefinition' | 'updatedAt'>>,
  ): Promise<void> {
    await this.apps.update({ workspaceId, id: appId }, patch);
  }

  async deleteApp(workspaceId: string, appId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.delete(AppPublishedQueryEntity, { workspaceId, appId });
      await m.delete(AppQueryEntity, { workspaceId, appId });
      await m.delete(AppEntity, { workspaceId, id: appId });
    });
  }

  listQueries(workspaceId: string, appId: string): Promise<AppQueryEntity[]> {
    return this.queries.find({ where: { workspaceId, appId }, order: { name: 'ASC' } });
  }

  findQuery(workspaceId: string, appId: string, queryId: string): Promise<AppQueryEntity | null> {
    return this.queries.findOneBy({ workspaceId, appId, id: queryId });
  }

  findQueryByName(
    workspaceId: string,
    appId: string,
    name: string,
  ): Promise<AppQueryEntity | null> {
    return this.queries.findOneBy({ workspaceId, appId, name });
  }

  async insertQuery(workspaceId: string, query: AppQueryEntity): Promise<void> {
    await this.queries.insert({ ...query, workspaceId });
  }

  async updateQuery(
    workspaceId: string,
    queryId: string,
    patch: Partial<Omit<AppQueryEntity, 'id' | 'appId' | 'workspaceId' | 'createdAt'>>,
  ): Promise<void> {
    await this.queries.update({ workspaceId, id: queryId }, patch);
  }

  async deleteQuery(workspaceId: string, appId: string, queryId: string): Promise<void> {
    await this.queries.delete({ workspaceId, appId, id: queryId });
  }

  listPublishedQueries(workspaceId: string, appId: string): Promise<AppPublishedQueryEntity[]> {
    return this.published.find({ where: { workspaceId, appId }, order: { name: 'ASC' } });
  }

  findPublishedQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
  ): Promise<AppPublishedQueryEntity | null> {
    return this.published.findOneBy({ workspaceId, appId, queryId });
  }

  /**
   * Publishes in one transaction: the app's published definition and a fresh copy of every
   * draft query replace the previous published state, so viewers never see a mix.
   */
  async publish(workspaceId: string, appId: string, definition: string, at: Date): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const drafts = await m.find(AppQueryEntity, { where: { workspaceId, appId } });
      await m.delete(AppPublishedQueryEntity, { workspaceId, appId });
      if (drafts.length > 0) {
        await m.insert(
          AppPublishedQueryEntity,
          drafts.map((q) => ({
            appId,
            queryId: q.id,
            workspaceId,
            name: q.name,
            datasourceId: q.datasourceId,
            body: q.body,
            params: q.params,
            timeoutMs: q.timeoutMs,
            maxRows: q.maxRows,
            publishedAt: at,
          })),
        );
      }
      await m.update(
        AppEntity,
        { workspaceId, id: appId },
        { publishedDefinition: definition, publishedAt: at },
      );
    });
  }
}
