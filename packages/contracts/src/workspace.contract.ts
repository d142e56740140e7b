import { z } from 'zod';
import { ZWorkspaceRole } from './common.contract';

/** `POST /api/workspaces`: the caller becomes its admin. */
export const ZCreateWorkspaceRequest = z.object({
  name: z.string().trim().min(1, 'is required').max(120),
});
export type TCreateWorkspaceRequest = z.infer<typeof ZCreateWorkspaceRequest>;

export const ZWorkspace = z.object({
  id: z.uuid(),
  name: z.string(),
  role: ZWorkspaceRole,
  requireTwoFactor: z.boolean(),
});
export type TWorkspace = z.infer<typeof ZWorkspace>;

/**
 * `PATCH /api/workspaces/:wid` (admin). Turning `requireTwoFactor` on needs the caller to have
 * two-factor on (so an admin cannot lock themselves out).
 */
export const ZUpdateWorkspaceRequest = z
  .object({
    name: z.string().trim().min(1, 'is required').max(120).optional(),
    requireTwoFactor: z.boolean().optional(),
  })
  .refine((v) => v.name !== undefined || v.requireTwoFactor !== undefined, {
    message: 'give name or requireTwoFactor',
  });
export type TUpdateWorkspaceRequest = z.infer<typeof ZUpdateWorkspaceRequest>;

/** `PATCH /api/workspaces/:wid/members/:userId` (admin). */
export const ZUpdateMemberRequest = z.object({ role: ZWorkspaceRole });
export type TUpdateMemberRequest = z.infer<typeof ZUpdateMemberRequest>;

export const ZMember = z.object({
  userId: z.uuid(),
  email: z.string(),
  role: ZWorkspaceRole,
  twoFactorEnabled: z.boolean(),
});
export type TMember = z.infer<typeof ZMember>;

/**
 * Who may create workspaces (`POST /api/workspaces`): `instance_admins` (the default) or
 * `everyone` (every signed-in user).
 */
export const ZWorkspaceCreationPolicy = z.enum(['instance_admins', 'everyone']);
export type TWorkspaceCreationPolicy = z.infer<typeof ZWorkspaceCreationPolicy>;

/** `GET /api/instance/settings` (instance admins). */
export const ZInstanceSettings = z.object({ workspaceCreation: ZWorkspaceCreationPolicy });
export type TInstanceSettings = z.infer<typeof ZInstanceSettings>;

/** `PATCH /api/instance/settings` (instance admins). */
export const ZUpdateInstanceSettingsRequest = z.object({
  workspaceCreation: ZWorkspaceCreationPolicy,
});
export type TUpdateInstanceSettingsRequest = z.infer<typeof ZUpdateInstanceSettingsRequest>;
