import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, MoreThan, Not, Repository } from 'typeorm';
import { VaultDataKeyEntity } from './vault-data-key.entity';

/** Queries on `vault_data_keys`. Lookups take the workspace id first, so tenancy is explicit. */
@Injectable()
export class VaultDataKeyRepository {
  constructor(
    @InjectRepository(VaultDataKeyEntity)
    private readonly repo: Repository<VaultDataKeyEntity>,
  ) {}

  private on(manager?: EntityManager): Repository<VaultDataKeyEntity> {
    return manager ? manager.getRepository(VaultDataKeyEntity) : this.repo;
  }

  /** The row of this datasource in this workspace, or null. */
  get(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<VaultDataKeyEntity | null> {
    return this.on(manager).findOneBy({ workspaceId, datasourceId });
  }

  /** True when a row exists for this datasource id (in any workspace: ids are global). */
  async exists(datasourceId: string, manager?: EntityManager): Promise<boolean> {
    return (await this.on(manager).countBy({ datasourceId })) > 0;
  }

  async insert(
    row: Pick<VaultDataKeyEntity, 'workspaceId' | 'datasourceId' | 'kekId' | 'wrappedKey'>,
    manager?: EntityManager,
  ): Promise<void> {
    const now = new Date();
    await this.on(manager).insert({ ...row, createdAt: now, updatedAt: now });
  }

  /** Deletes this datasource's row; true when one was deleted. */
  async delete(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<boolean> {
    const result = await this.on(manager).delete({ workspaceId, datasourceId });
    return (result.affected ?? 0) > 0;
  }

  /** Up to `limit` rows whose KEK is not `kekId`, after `afterDatasourceId`, in id order. */
  listNotUnder(
    kekId: string,
    afterDatasourceId: string,
    limit: number,
  ): Promise<VaultDataKeyEntity[]> {
    return this.repo.find({
      where: { kekId: Not(kekId), datasourceId: MoreThan(afterDatasourceId) },
      order: { datasourceId: 'ASC' },
      take: limit,
    });
  }

  /** Up to `limit` rows after `afterDatasourceId`, in id order (for `vault check`). */
  listAfter(afterDatasourceId: string, limit: number): Promise<VaultDataKeyEntity[]> {
    return this.repo.find({
      where: { datasourceId: MoreThan(afterDatasourceId) },
      order: { datasourceId: 'ASC' },
      take: limit,
    });
  }

  /**
   * Replaces the wrapping of one data key, only if the row still holds what was read
   * (optimistic check on `kek_id` and `wrapped_key`): a concurrent reset or another rotation
   * wins and this update becomes a no-op. One statement, hence one transaction per datasource.
   * @returns true when the row was updated.
   */
  async rewrap(row: VaultDataKeyEntity, newKekId: string, newWrappedKey: string): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(VaultDataKeyEntity)
      .set({ kekId: newKekId, wrappedKey: newWrappedKey, updatedAt: new Date() })
      .where('datasource_id = :id AND kek_id = :old AND wrapped_key = :wrapped', {
        id: row.datasourceId,
        old: row.kekId,
        wrapped: row.wrappedKey,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Number of rows per KEK id. */
  async countByKek(): Promise<Map<string, number>> {
    const rows = await this.repo
      .createQueryBuilder('k')
      .select('k.kek_id', 'kekId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('k.kek_id')
      .getRawMany<{ kekId: string; count: string | number }>();
    return new Map(rows.map((r) => [r.kekId, Number(r.count)]));
  }
}
