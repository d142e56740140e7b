import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  TInstanceSettings,
  TWorkspaceCreationPolicy,
  ZWorkspaceCreationPolicy,
} from '@bastion/contracts';
import { Repository } from 'typeorm';
import { AuditContext, AuditService } from '../audit/audit.service';
import { UserRepository } from '../auth/user.repository';
import { InstanceSettingEntity } from '../database/instance-setting.entity';
import { WorkspaceErrorCode, WorkspaceException } from './workspace.exception';

/** `instance_settings` key of who may create workspaces. */
export const WORKSPACE_CREATION_KEY = 'workspace_creation';
/** Default: only instance admins create workspaces (issue 15: open only by an instance admin). */
export const DEFAULT_WORKSPACE_CREATION: TWorkspaceCreationPolicy = 'instance_admins';

/**
 * Instance-wide settings that instance admins manage (`users.is_instance_admin`: the first
 * admin and every `admin create` account). Read on the rare routes that need them, not cached:
 * a change applies to the next request on every replica.
 */
@Injectable()
export class InstanceSettingsService {
  constructor(
    @InjectRepository(InstanceSettingEntity)
    private readonly settings: Repository<InstanceSettingEntity>,
    private readonly users: UserRepository,
    private readonly audit: AuditService,
  ) {}

  /** True when the user is an instance admin (false for an unknown id). */
  async isInstanceAdmin(userId: string): Promise<boolean> {
    return (await this.users.findById(userId))?.isInstanceAdmin === true;
  }

  /** The current settings (defaults for keys never written; an unreadable value is the default). */
  async get(): Promise<TInstanceSettings> {
    const row = await this.settings.findOneBy({ key: WORKSPACE_CREATION_KEY });
    const parsed = ZWorkspaceCreationPolicy.safeParse(row?.value);
    return { workspaceCreation: parsed.success ? parsed.data : DEFAULT_WORKSPACE_CREATION };
  }

  /** Whether this user may create a workspace now. */
  async canCreateWorkspaces(userId: string): Promise<boolean> {
    if (await this.isInstanceAdmin(userId)) return true;
    return (await this.get()).workspaceCreation === 'everyone';
  }

  /**
   * Refuses `POST /api/workspaces` when the setting keeps creation to instance admins.
   * @throws WorkspaceException WorkspaceCreationRestricted (403), naming the setting
   */
  async assertCanCreateWorkspaces(userId: string): Promise<void> {
    if (await this.canCreateWorkspaces(userId)) return;
    throw new WorkspaceException(
      WorkspaceErrorCode.WorkspaceCreationRestricted,
      'Only instance admins may create workspaces on this instance (instance setting ' +
        'workspaceCreation = instance_admins); ask an instance admin',
    );
  }

  /**
   * Changes the settings (instance admins only); audited as `instance.settings_changed`
   * (instance-level entry, no workspace).
   * @throws WorkspaceException InstanceAdminRequired (403)
   */
  async update(
    userId: string,
    patch: TInstanceSettings,
    audit: AuditContext,
  ): Promise<TInstanceSettings> {
    await this.assertInstanceAdmin(userId);
    const before = await this.get();
    await this.settings.upsert(
      { key: WORKSPACE_CREATION_KEY, value: patch.workspaceCreation, updatedAt: new Date() },
      ['key'],
    );
    await this.audit.record({
      action: 'instance.settings_changed',
      ...audit,
      workspaceId: null,
      target: { type: 'instance', id: WORKSPACE_CREATION_KEY },
      details: { workspaceCreation: patch.workspaceCreation, from: before.workspaceCreation },
    });
    return this.get();
  }

  /** @throws WorkspaceException InstanceAdminRequired (403) */
  async assertInstanceAdmin(userId: string): Promise<void> {
    if (await this.isInstanceAdmin(userId)) return;
    throw new WorkspaceException(
      WorkspaceErrorCode.InstanceAdminRequired,
      'Instance settings are managed by instance admins only',
    );
  }
}
