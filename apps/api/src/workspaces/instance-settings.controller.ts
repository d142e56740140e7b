import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiForbiddenResponse, ApiTags } from '@nestjs/swagger';
import { TInstanceSettings, ZUpdateInstanceSettingsRequest } from '@bastion/contracts';
import { createZodDto } from 'nestjs-zod';
import { auditContextOf } from '../audit/audit.service';
import { AuthUser, CurrentUser, ReqMeta, RequestMeta } from '../auth/request-context';
import { InstanceSettingsService } from './instance-settings.service';

class UpdateInstanceSettingsDto extends createZodDto(ZUpdateInstanceSettingsRequest) {}

@ApiTags('instance')
@Controller('instance/settings')
export class InstanceSettingsController {
  constructor(private readonly settings: InstanceSettingsService) {}

  /** `GET /api/instance/settings` (instance admins) -> {workspaceCreation}. 403 otherwise. */
  @Get()
  @ApiForbiddenResponse({ description: 'Not an instance admin' })
  async get(@CurrentUser() user: AuthUser): Promise<TInstanceSettings> {
    await this.settings.assertInstanceAdmin(user.id);
    return this.settings.get();
  }

  /**
   * `PATCH /api/instance/settings` (instance admins) {workspaceCreation: instance_admins |
   * everyone} -> the settings. 403 otherwise; audited.
   */
  @Patch()
  @ApiForbiddenResponse({ description: 'Not an instance admin' })
  update(
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateInstanceSettingsDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TInstanceSettings> {
    return this.settings.update(user.id, body, auditContextOf(user, meta));
  }
}
