import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { UserEntity } from '../auth/user.entity';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';

export interface MemberRow {
  userId: string;
  email: string;
  role: MembershipEntity['role'];
  totpEnabled: boolean;
}

/** Workspaces and memberships. Every method takes the workspace id first. */
@Injectable()
export class WorkspaceRepository {
  constructor(
    @InjectRepository(WorkspaceEntity) private readonly workspaces: Repository<WorkspaceEntity>,
    @InjectRepository(MembershipEntity) private readonly memberships: Repository<MembershipEntity>,
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
  }

  findMembership(workspaceId: string, userId: string): Promise<MembershipEntity | null> {
    return this.memberships.findOneBy({ workspaceId, userId });
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
  }

  async updateRole(
    workspaceId: string,
    userId: string,
    role: MembershipEntity['role'],
  ): Promise<void> {
    await this.memberships.update({ workspaceId, userId }, { role });
  }

  countAdmins(workspaceId: string): Promise<number> {
    return this.memberships.countBy({ workspaceId, role: 'admin' });
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
