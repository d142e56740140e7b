import { Injectable } from '@nestjs/common';
import type {
  TMember,
  TUpdateWorkspaceRequest,
  TWorkspace,
  TWorkspaceRole,
} from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditContext, AuditService, SYSTEM_META } from '../audit/audit.service';
import { AuthService } from '../auth/auth.service';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';
import type { AuthUser } from '../auth/request-context';
import type { RequestMeta } from '../auth/request-context';
import { UserEntity } from '../auth/user.entity';
import { UserRepository } from '../auth/user.repository';
import { InstanceSettingEntity } from '../database/instance-setting.entity';
import { MetadataTransactions } from '../database/metadata-transactions';
import { InstanceSettingsService } from './instance-settings.service';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';
import { WorkspaceErrorCode, WorkspaceException, workspaceNotFound } from './workspace.exception';
import { WorkspaceRepository } from './workspace.repository';

@Injectable()
export class WorkspaceService {
  constructor(
    private readonly transactions: MetadataTransactions,
    private readonly workspaces: WorkspaceRepository,
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly instanceSettings: InstanceSettingsService,
  ) {}

  /** True while no user exists (first-run setup is open). */
  async isSetupRequired(): Promise<boolean> {
    return (await this.users.count()) === 0;
  }

  /**
   * First-run setup: the first admin (an instance admin) and their workspace, in one
   * transaction. The `setup_completed` row's primary key makes a second, concurrent setup fail.
   * @throws AuthException SetupAlreadyDone (409), WeakPassword (400)
   */
  async setup(
    email: string,
    password: string,
    workspaceName: string,
    meta: RequestMeta,
  ): Promise<{ user: UserEntity; workspaceId: string }> {
    if (!(await this.isSetupRequired())) throw this.setupDone();
    let created: { user: UserEntity; workspaceId: string };
    try {
      created = await this.transactions.transaction(async (manager) => {
        await manager.insert(InstanceSettingEntity, {
          key: 'setup_completed',
          value: new Date().toISOString(),
          updatedAt: new Date(),
        });
        const user = await this.auth.createUser(email, password, manager, {
          isInstanceAdmin: true,
        });
        const workspaceId = await this.createWorkspaceIn(manager, workspaceName, user.id);
        return { user, workspaceId };
      });
    } catch (error) {
      if (error instanceof AuthException) throw error;
      if (!(await this.isSetupRequired())) throw this.setupDone();
      throw error;
    }
    await this.audit.record({
      action: 'workspace.created',
      actor: { userId: created.user.id, email: created.user.email },
      workspaceId: created.workspaceId,
      target: { type: 'workspace', id: created.workspaceId },
      meta,
      details: { name: workspaceName.trim(), firstRunSetup: true },
    });
    // The person's own history ("Recent sign-ins") starts with the account and its session.
    await this.audit.record({
      action: 'auth.account_created',
      actor: { userId: created.user.id, email: created.user.email },
      workspaceId: null,
      target: { type: 'user', id: created.user.id },
      meta,
      details: { via: 'setup' },
    });
    return created;
  }

  /**
   * Creates a workspace whose admin is `userId`. Allowed to instance admins, and to everyone
   * while the instance setting `workspaceCreation` is `everyone`.
   * @throws WorkspaceException WorkspaceCreationRestricted (403)
   */
  async createWorkspace(name: string, userId: string, audit: AuditContext): Promise<TWorkspace> {
    await this.instanceSettings.assertCanCreateWorkspaces(userId);
    const id = await this.transactions.transaction((manager) =>
      this.createWorkspaceIn(manager, name, userId),
    );
    await this.audit.record({
      action: 'workspace.created',
      ...audit,
      workspaceId: id,
      target: { type: 'workspace', id },
      details: { name: name.trim() },
    });
    return { id, name, role: 'admin', requireTwoFactor: false };
  }

  async getWorkspace(workspaceId: string, role: TWorkspaceRole): Promise<TWorkspace> {
    const workspace = await this.workspaces.findById(workspaceId);
    if (!workspace) throw workspaceNotFound();
    return {
      id: workspace.id,
      name: workspace.name,
      role,
      requireTwoFactor: workspace.requireTwoFactor,
    };
  }

  /**
   * Renames the workspace and/or sets whether members need two-factor. An admin without
   * two-factor cannot turn the requirement on: the guard would refuse them at once.
   * @throws WorkspaceException NotFound (404), EnrolTwoFactorFirst (409)
   */
  async updateWorkspace(
    workspaceId: string,
    actor: AuthUser,
    patch: TUpdateWorkspaceRequest,
    meta: RequestMeta,
  ): Promise<TWorkspace> {
    if (patch.requireTwoFactor && !actor.totpEnabled) {
      throw new WorkspaceException(
        WorkspaceErrorCode.EnrolTwoFactorFirst,
        'requireTwoFactor: turn on two-factor for your own account first',
      );
    }
    await this.workspaces.updateWorkspace(workspaceId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.requireTwoFactor !== undefined ? { requireTwoFactor: patch.requireTwoFactor } : {}),
    });
    await this.audit.record({
      action: 'workspace.settings_changed',
      actor: { userId: actor.id, email: actor.email },
      workspaceId,
      target: { type: 'workspace', id: workspaceId },
      meta,
      details: {
        changedFields: Object.keys(patch).filter(
          (k) => patch[k as keyof TUpdateWorkspaceRequest] !== undefined,
        ),
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.requireTwoFactor !== undefined
          ? { requireTwoFactor: patch.requireTwoFactor }
          : {}),
      },
    });
    return this.getWorkspace(workspaceId, 'admin');
  }

  async listMembers(workspaceId: string): Promise<TMember[]> {
    const rows = await this.workspaces.listMembers(workspaceId);
    return rows.map((r) => ({
      userId: r.userId,
      email: r.email,
      role: r.role,
      twoFactorEnabled: r.totpEnabled,
    }));
  }

  /**
   * Changes a member's role. The last admin cannot be demoted (the workspace would be locked).
   * @throws WorkspaceException MemberNotFound (404), LastAdmin (409)
   */
  async changeRole(
    workspaceId: string,
    userId: string,
    role: TWorkspaceRole,
    audit: AuditContext,
  ): Promise<TMember> {
    const { membership, user } = await this.workspaces.withMembershipLock(
      workspaceId,
      async (tx) => {
        const found = await tx.findMembership(userId);
        const account = found ? await tx.findUser(userId) : null;
        if (!found || !account)
          throw new WorkspaceException(WorkspaceErrorCode.MemberNotFound, 'Member not found');
        if (found.role === 'admin' && role !== 'admin' && (await tx.countAdmins()) <= 1) {
          throw new WorkspaceException(
            WorkspaceErrorCode.LastAdmin,
            'role: a workspace needs at least one admin',
          );
        }
        await tx.updateRole(userId, role);
        return { membership: found, user: account };
      },
    );
    await this.audit.record({
      action: 'member.role_changed',
      ...audit,
      workspaceId,
      target: { type: 'user', id: userId },
      details: { email: user.email, from: membership.role, to: role },
    });
    return { userId, email: user.email, role, twoFactorEnabled: user.totpEnabled };
  }

  /**
   * Removes a member from the workspace (their account stays). The last admin cannot be removed,
   * also not by themself: the workspace would have no one to manage it. The removed user's next
   * request to the workspace is 404 on this replica at once (`withMembershipLock` forgets the
   * cached access); other replicas follow within `AUTH_CACHE_TTL_MS`.
   * @throws WorkspaceException MemberNotFound (404: not a member of this workspace), LastAdmin (409)
   */
  async removeMember(workspaceId: string, userId: string, audit: AuditContext): Promise<void> {
    const { membership, user } = await this.workspaces.withMembershipLock(
      workspaceId,
      async (tx) => {
        const found = await tx.findMembership(userId);
        if (!found)
          throw new WorkspaceException(WorkspaceErrorCode.MemberNotFound, 'Member not found');
        if (found.role === 'admin' && (await tx.countAdmins()) <= 1) {
          throw new WorkspaceException(
            WorkspaceErrorCode.LastAdmin,
            'userId: the last admin cannot be removed; a workspace needs at least one admin',
          );
        }
        // Read before the delete: the entry names the email even if the account goes later.
        const account = await tx.findUser(userId);
        await tx.deleteMembership(userId);
        return { membership: found, user: account };
      },
    );
    await this.audit.record({
      action: 'member.removed',
      ...audit,
      workspaceId,
      target: { type: 'user', id: userId },
      details: {
        email: user?.email ?? null,
        role: membership.role,
        self: audit.actor?.userId === userId,
      },
    });
  }

  /**
   * Operator command `admin create`: a new instance admin who is admin of a new workspace, in
   * one transaction. Also closes first-run setup when this is the first user.
   * @throws AuthException EmailTaken (409), WeakPassword (400)
   */
  async createAdmin(
    email: string,
    password: string,
    workspaceName: string,
  ): Promise<{ userId: string; workspaceId: string }> {
    const created = await this.transactions.transaction(async (manager) => {
      const setupDone = await manager.findOneBy(InstanceSettingEntity, { key: 'setup_completed' });
      if (!setupDone) {
        await manager.insert(InstanceSettingEntity, {
          key: 'setup_completed',
          value: new Date().toISOString(),
          updatedAt: new Date(),
        });
      }
      const user = await this.auth.createUser(email, password, manager, { isInstanceAdmin: true });
      const workspaceId = await this.createWorkspaceIn(manager, workspaceName, user.id);
      return { userId: user.id, workspaceId };
    });
    await this.audit.record({
      action: 'workspace.created',
      actor: null,
      workspaceId: created.workspaceId,
      target: { type: 'workspace', id: created.workspaceId },
      meta: SYSTEM_META,
      details: { name: workspaceName.trim(), adminEmail: email, operatorCommand: 'admin create' },
    });
    await this.audit.record({
      action: 'auth.account_created',
      actor: null,
      workspaceId: null,
      target: { type: 'user', id: created.userId },
      meta: SYSTEM_META,
      details: { via: 'admin create' },
    });
    return created;
  }

  listForUser(userId: string) {
    return this.workspaces.listForUser(userId);
  }

  private async createWorkspaceIn(
    manager: EntityManager,
    name: string,
    userId: string,
  ): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    await this.workspaces.insertWorkspace(
      Object.assign(new WorkspaceEntity(), {
        id,
        name: name.trim(),
        requireTwoFactor: false,
        createdAt: now,
      }),
      manager,
    );
    await this.workspaces.insertMembership(
      id,
      Object.assign(new MembershipEntity(), {
        workspaceId: id,
        userId,
        role: 'admin',
        createdAt: now,
      }),
      manager,
    );
    return id;
  }

  private setupDone(): AuthException {
    return new AuthException(
      AuthErrorCode.SetupAlreadyDone,
      'Setup is already complete; sign in instead',
    );
  }
}
