import { Injectable } from '@nestjs/common';
import type { TSignInMethod } from '@bastion/contracts';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Not, Repository } from 'typeorm';
import { SessionEntity } from './session.entity';

@Injectable()
export class SessionRepository {
  constructor(@InjectRepository(SessionEntity) private readonly repo: Repository<SessionEntity>) {}

  findById(id: string): Promise<SessionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** A user's session by its public id, or null (another user's id is null too). */
  findByPublicId(userId: string, publicId: string): Promise<SessionEntity | null> {
    return this.repo.findOneBy({ userId, publicId });
  }

  async insert(session: SessionEntity): Promise<void> {
    await this.repo.insert(session);
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { lastSeenAt: at });
  }

  async setSignInMethod(id: string, signInMethod: TSignInMethod): Promise<void> {
    await this.repo.update({ id, revokedAt: IsNull() }, { signInMethod });
  }

  async revoke(id: string, at: Date): Promise<void> {
    await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: at });
  }

  /** Sessions of a user not revoked and not past their absolute expiry, newest first. */
  listActive(userId: string, now: Date): Promise<SessionEntity[]> {
    return this.repo.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(now) },
      order: { createdAt: 'DESC' },
      take: 100,
    });
  }

  /** Revokes every live session of a user, except `keepId` when given. */
  async revokeAllForUser(userId: string, at: Date, keepId?: string): Promise<void> {
    await this.repo.update(
      keepId ? { userId, revokedAt: IsNull(), id: Not(keepId) } : { userId, revokedAt: IsNull() },
      { revokedAt: at },
    );
  }
}
