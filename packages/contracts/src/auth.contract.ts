import { z } from 'zod';
import { ZSignInMethod } from './account.contract';
import { ZWorkspaceRole } from './common.contract';

/** Email addresses are compared case-insensitively; they are stored lower-cased and trimmed. */
export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an email address' }));

export const ZUser = z.object({
  id: z.uuid(),
  email: z.string(),
  twoFactorEnabled: z.boolean(),
});
export type TUser = z.infer<typeof ZUser>;

export const ZMembership = z.object({
  workspaceId: z.uuid(),
  workspaceName: z.string(),
  role: ZWorkspaceRole,
});
export type TMembership = z.infer<typeof ZMembership>;

/** `POST /api/auth/login`. `totpCode` is a 6-digit TOTP code or a recovery code. */
export const ZLoginRequest = z.object({
  email: ZEmail,
  password: z.string().min(1, 'is required').max(1024),
  totpCode: z.string().trim().min(6).max(64).optional(),
});
export type TLoginRequest = z.infer<typeof ZLoginRequest>;

export const ZLoginResponse = z.object({ user: ZUser, csrfToken: z.string() });
export type TLoginResponse = z.infer<typeof ZLoginResponse>;

/** `GET /api/me`. */
export const ZMeResponse = z.object({
  /** `isInstanceAdmin`: manages instance settings (who may create workspaces). */
  user: ZUser.extend({ isInstanceAdmin: z.boolean() }),
  memberships: z.array(ZMembership),
  csrfToken: z.string(),
  /** How the current session signed in. */
  signInMethod: ZSignInMethod,
  /** Whether `POST /api/workspaces` is open to this user (instance setting `workspaceCreation`). */
  canCreateWorkspaces: z.boolean(),
});
export type TMeResponse = z.infer<typeof ZMeResponse>;

/** `POST /api/setup`: the first admin and their workspace; 409 once a user exists. */
export const ZSetupRequest = z.object({
  email: ZEmail,
  password: z.string().max(256),
  workspaceName: z.string().trim().min(1, 'is required').max(120),
});
export type TSetupRequest = z.infer<typeof ZSetupRequest>;

export const ZSetupResponse = ZLoginResponse.extend({ workspaceId: z.uuid() });
export type TSetupResponse = z.infer<typeof ZSetupResponse>;

/** `GET /api/setup`: whether first-run setup is still open. */
export const ZSetupStatusResponse = z.object({ setupRequired: z.boolean() });
export type TSetupStatusResponse = z.infer<typeof ZSetupStatusResponse>;
