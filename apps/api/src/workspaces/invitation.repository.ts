import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { InvitationEntity } from './invitation.entity';

/**
 * Invitations. Methods that admins reach take the workspace id first, so a query that forgets
 * tenancy cannot be written; the public routes find an invitation only by its token hash.
 */
@Injectable()
export class InvitationRepository {
  constructor(
    @InjectRepository(InvitationEntity) private readonly repo: Repository<InvitationEntity>,
  ) {}

  /** @param manager the caller's transaction, if any. */
  async insert(
    workspaceId: string,
    invitation: InvitationEntity,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.repo.manager).insert(InvitationEntity, { ...invitation, workspaceId });
  }

  /** Pending (not accepted, not revoked; expired included) invitations, newest first. */
  listPending(workspaceId: string): Promise<InvitationEntity[]> {
    return this.repo.find({
      where: { workspaceId, acceptedAt: IsNull(), revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  /** A pending invitation of this workspace, or null (also for another workspace's id). */
  findPending(workspaceId: string, id: string): Promise<InvitationEntity | null> {
    return this.repo.findOneBy({ workspaceId, id, acceptedAt: IsNull(), revokedAt: IsNull() });
  }

  /** Revokes every pending invitation of `email` in the workspace (a new one replaces them). */
  async revokePendingFor(
    workspaceId: string,
    email: string,
    at: Date,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.repo.manager).update(
      InvitationEntity,
      { workspaceId, email, acceptedAt: IsNull(), revokedAt: IsNull() },
      { revokedAt: at },
    );
  }

  /** @returns false when it was no longer pending (accepted or revoked meanwhile). */
  async revoke(workspaceId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.repo.update(
      { workspaceId, id, acceptedAt: IsNull(), revokedAt: IsNull() },
      { revokedAt: at },
    );
    return (result.affected ?? 0) === 1;
  }

  /**
   * Gives a pending invitation a new token and expiry; the old token hash is overwritten, so
   * the old link is dead. @returns false when it was no longer pending.
   */
  async replaceToken(
    workspaceId: string,
    id: string,
    tokenHash: string,
    expiresAt: Date,
  ): Promise<boolean> {
    const result = await this.repo.update(
      { workspaceId, id, acceptedAt: IsNull(), revokedAt: IsNull() },
      { tokenHash, expiresAt },
    );
    return (result.affected ?? 0) === 1;
  }

  /** The invitation behind a token hash, whatever its state (public routes). */
  findByTokenHash(tokenHash: string, manager?: EntityManager): Promise<InvitationEntity | null> {
    return (manager ?? this.repo.manager).findOneBy(InvitationEntity, { tokenHash });
  }

  /**
   * Marks the invitation used if, and only if, it is still pending: one conditional UPDATE, so
   * of two concurrent accepts exactly one changes the row (PostgreSQL row lock; SQLite runs
   * transactions one at a time). The caller checked the expiry. @returns whether this call won.
   */
  async markAccepted(
    manager: EntityManager,
    workspaceId: string,
    id: string,
    userId: string | null,
    at: Date,
  ): Promise<boolean> {
    const result = await manager.update(
      InvitationEntity,
      { workspaceId, id, acceptedAt: IsNull(), revokedAt: IsNull() },
      { acceptedAt: at, acceptedBy: userId },
    );
    return (result.affected ?? 0) === 1;
  }

  /** Records who accepted (after their account row exists: `accepted_by` references it). */
  async setAcceptedBy(
    manager: EntityManager,
    workspaceId: string,
    id: string,
    userId: string,
  ): Promise<void> {
    await manager.update(InvitationEntity, { workspaceId, id }, { acceptedBy: userId });
  }
}
