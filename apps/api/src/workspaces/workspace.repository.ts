import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AUTH_CACHE_TTL_MS, ShortLivedCache } from '../auth/short-lived-cache';
import { UserEntity } from '../auth/user.entity';
import { MetadataTransactions } from '../database/metadata-transactions';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';

export interface MemberRow {
  userId: string;
  email: string;
  role: MembershipEntity['role'];
  totpEnabled: boolean;
}

/** Membership reads and writes inside {@link WorkspaceRepository.withMembershipLock}. */
export interface MembershipTransaction {
  findMembership(userId: string): Promise<MembershipEntity | null>;
  findUser(userId: string): Promise<UserEntity | null>;
  countAdmins(): Promise<number>;
  updateRole(userId: string, role: MembershipEntity['role']): Promise<void>;
  /** @returns false when not a member. */
  deleteMembership(userId: string): Promise<boolean>;
}

/** What the role guard needs to admit a member: its role and the workspace's 2FA policy. */
export interface WorkspaceAccess {
  role: MembershipEntity['role'];
  requireTwoFactor: boolean;
}

/**
 * Workspaces and memberships. Every method takes the workspace id first.
 *
 * `findAccess` (the role guard's lookup on every workspace route) is cached for
 * {@link AUTH_CACHE_TTL_MS} ms; the writes here that change a role, a membership or the
 * workspace's two-factor policy invalidate it, so they take effect at once on this replica.
 */
@Injectable()
export class WorkspaceRepository {
  private readonly access = new ShortLivedCache<WorkspaceAccess>(AUTH_CACHE_TTL_MS);

  constructor(
    @InjectRepository(WorkspaceEntity) private readonly workspaces: Repository<WorkspaceEntity>,
    @InjectRepository(MembershipEntity) private readonly memberships: Repository<MembershipEntity>,
    private readonly transactions: MetadataTransactions,
  ) {}

  findById(workspaceId: string): Promise<WorkspaceEntity | null> {
    return this.workspaces.findOneBy({ id: workspaceId });
  }

  async insertWorkspace(workspace: WorkspaceEntity, manager?: EntityManager): Promise<void> {
    await (manager ?? this.workspaces.manager).insert(WorkspaceEntity, workspace);
  }

  async updateWorkspace(
    workspaceId: string,
    patch: Partial<Pick<WorkspaceEntity, 'name' | 'requireTwoFactor'>>,
  ): Promise<void> {
    await this.workspaces.update({ id: workspaceId }, patch);
    this.access.deleteWhere((_v, key) => key.startsWith(`${workspaceId}/`));
  }

  findMembership(workspaceId: string, userId: string): Promise<MembershipEntity | null> {
    return this.memberships.findOneBy({ workspaceId, userId });
  }

  /**
   * The caller's role in a workspace and the workspace's two-factor policy, or null when not a
   * member (not cached, so an added member is admitted at once).
   */
  async findAccess(workspaceId: string, userId: string): Promise<WorkspaceAccess | null> {
    const key = `${workspaceId}/${userId}`;
    const cached = this.access.get(key);
    if (cached) return cached;
    const ticket = this.access.ticket();
    const membership = await this.memberships.findOneBy({ workspaceId, userId });
    if (!membership) return null;
    const workspace = await this.workspaces.findOneBy({ id: workspaceId });
    if (!workspace) return null;
    const found = { role: membership.role, requireTwoFactor: workspace.requireTwoFactor };
    this.access.set(key, found, ticket);
    return found;
  }

  async insertMembership(
    workspaceId: string,
    membership: MembershipEntity,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.memberships.manager).insert(MembershipEntity, {
      ...membership,
      workspaceId,
    });
    this.access.delete(`${workspaceId}/${membership.userId}`);
  }

  /**
   * Runs `fn` in one transaction that first locks the workspace row with a no-op UPDATE (a row
   * lock on PostgreSQL, other replicas wait; the database write lock on SQLite), so two role
   * changes or removals in one workspace never both pass an "is another admin left?" check
   * (two admins removing each other at once would otherwise leave none). On SQLite the
   * transaction waits its turn in {@link MetadataTransactions} (one shared connection). The
   * access cache is cleared for the touched members after the commit.
   * @returns what `fn` returns; a throw rolls the transaction back.
   */
  async withMembershipLock<T>(
    workspaceId: string,
    fn: (tx: MembershipTransaction) => Promise<T>,
  ): Promise<T> {
    const touched = new Set<string>();
    try {
      return await this.transactions.transaction(async (manager) => {
        await manager.update(WorkspaceEntity, { id: workspaceId }, { id: workspaceId });
        return fn({
          findMembership: (userId) => manager.findOneBy(MembershipEntity, { workspaceId, userId }),
          findUser: (userId) => manager.findOneBy(UserEntity, { id: userId }),
          countAdmins: () => manager.countBy(MembershipEntity, { workspaceId, role: 'admin' }),
          updateRole: async (userId, role) => {
            touched.add(userId);
            await manager.update(MembershipEntity, { workspaceId, userId }, { role });
          },
          deleteMembership: async (userId) => {
            touched.add(userId);
            const result = await manager.delete(MembershipEntity, { workspaceId, userId });
            return (result.affected ?? 0) > 0;
          },
        });
      });
    } finally {
      for (const userId of touched) this.access.delete(`${workspaceId}/${userId}`);
    }
  }

  async listMembers(workspaceId: string): Promise<MemberRow[]> {
    const rows = await this.memberships
      .createQueryBuilder('m')
      .innerJoin(UserEntity, 'u', 'u.id = m.user_id')
      .select([
        'm.user_id AS "userId"',
        'u.email AS "email"',
        'm.role AS "role"',
        'u.totp_enabled AS "totpEnabled"',
      ])
      .where('m.workspace_id = :workspaceId', { workspaceId })
      .orderBy('u.email', 'ASC')
      .getRawMany<{
        userId: string;
        email: string;
        role: MembershipEntity['role'];
        totpEnabled: boolean | number;
      }>();
    return rows.map((r) => ({ ...r, totpEnabled: Boolean(r.totpEnabled) }));
  }

  /** The workspaces a user belongs to (for `/api/me`), with the workspace name. */
  async listForUser(
    userId: string,
  ): Promise<{ workspaceId: string; workspaceName: string; role: MembershipEntity['role'] }[]> {
    return this.memberships
      .createQueryBuilder('m')
      .innerJoin(WorkspaceEntity, 'w', 'w.id = m.workspace_id')
      .select(['m.workspace_id AS "workspaceId"', 'w.name AS "workspaceName"', 'm.role AS "role"'])
      .where('m.user_id = :userId', { userId })
      .orderBy('w.name', 'ASC')
      .getRawMany();
  }
}
