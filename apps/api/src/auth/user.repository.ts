import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { SessionCache } from './session-cache';
import { UserEntity } from './user.entity';

/**
 * Users are instance-wide (a user may belong to several workspaces); workspace-scoped access
 * to users goes through memberships.
 */
@Injectable()
export class UserRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>,
    private readonly sessionCache: SessionCache,
  ) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** @param manager the caller's transaction, if any (on SQLite a body must use its manager). */
  findByEmail(email: string, manager?: EntityManager): Promise<UserEntity | null> {
    return (manager ?? this.repo.manager).findOneBy(UserEntity, {
      email: email.trim().toLowerCase(),
    });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  async insert(user: UserEntity, manager?: EntityManager): Promise<void> {
    await (manager ?? this.repo.manager).insert(UserEntity, user);
  }

  async update(
    id: string,
    patch: Partial<
      Pick<UserEntity, 'passwordHash' | 'passwordChangedAt' | 'totpSecretSealed' | 'totpEnabled'>
    >,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.repo.manager).update(UserEntity, { id }, patch);
    // Cached sessions carry `totpEnabled`; inside a transaction the caller forgets again after
    // the commit (a read in between could cache the old row).
    this.sessionCache.forgetUser(id);
  }

  /** Every sealed TOTP seed (for `vault check` and `vault rotate`), in pages of 500. */
  async *listTotpSealed(): AsyncIterable<{ id: string; sealed: string }> {
    let after = '';
    for (;;) {
      const rows = await this.repo
        .createQueryBuilder('u')
        .select(['u.id', 'u.totpSecretSealed'])
        .where('u.totp_secret_sealed IS NOT NULL')
        .andWhere('u.id > :after', { after })
        .orderBy('u.id', 'ASC')
        .take(500)
        .getMany();
      for (const r of rows) if (r.totpSecretSealed) yield { id: r.id, sealed: r.totpSecretSealed };
      if (rows.length < 500) return;
      after = rows[rows.length - 1].id;
    }
  }

  /** Replaces a sealed seed only if it is still `oldSealed` (optimistic, for re-sealing). */
  async replaceTotpSealed(id: string, oldSealed: string, newSealed: string): Promise<boolean> {
    const result = await this.repo.update(
      { id, totpSecretSealed: oldSealed },
      { totpSecretSealed: newSealed },
    );
    return (result.affected ?? 0) === 1;
  }
}
