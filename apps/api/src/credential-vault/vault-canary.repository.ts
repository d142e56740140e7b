import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CANARY_ROW_ID, VaultCanaryEntity } from './vault-canary.entity';

/** Queries on `vault_canary` (a table of one row). */
@Injectable()
export class VaultCanaryRepository {
  constructor(
    @InjectRepository(VaultCanaryEntity)
    private readonly repo: Repository<VaultCanaryEntity>,
  ) {}

  get(): Promise<VaultCanaryEntity | null> {
    return this.repo.findOneBy({ id: CANARY_ROW_ID });
  }

  /** Inserts the canary; false when another process inserted it first. */
  async insert(kekId: string, sealed: string): Promise<boolean> {
    const now = new Date();
    try {
      await this.repo.insert({ id: CANARY_ROW_ID, kekId, sealed, createdAt: now, updatedAt: now });
      return true;
    } catch (error) {
      if (await this.get()) return false;
      throw error;
    }
  }

  /** Re-seals the canary under another KEK if it still holds `old` (optimistic); true if so. */
  async replace(old: VaultCanaryEntity, kekId: string, sealed: string): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(VaultCanaryEntity)
      .set({ kekId, sealed, updatedAt: new Date() })
      .where('id = :id AND kek_id = :old AND sealed = :sealed', {
        id: CANARY_ROW_ID,
        old: old.kekId,
        sealed: old.sealed,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
