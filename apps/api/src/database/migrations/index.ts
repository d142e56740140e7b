import { InstanceSettings1764400000000 } from './1764400000000-instance-settings';
import { Accounts1764400200000 } from './1764400200000-accounts';
import { CredentialVault1764400100000 } from '../../credential-vault/migrations/1764400100000-credential-vault';
import { AuthTwoFactorRateLimits1764400250000 } from '../../auth/migrations/1764400250000-auth-two-factor-rate-limits';
import { AuditEvents1764400500000 } from '../../audit/migrations/1764400500000-audit-events';
import { Datasources1764400300000 } from '../../datasources/migrations/1764400300000-datasources';
import { Apps1764400400000 } from '../../apps/migrations/1764400400000-apps';
import { SessionPublicIds1764400600000 } from '../../auth/migrations/1764400600000-session-public-ids';
import { InstanceAdmins1764400700000 } from '../../auth/migrations/1764400700000-instance-admins';
import { Invitations1764400710000 } from '../../workspaces/migrations/1764400710000-invitations';
import { SessionSignInMethods1764400800000 } from '../../auth/migrations/1764400800000-session-sign-in-methods';
import { KnownDevices1764401000000 } from '../../auth/migrations/1764401000000-known-devices';
import { AuditTargetIndex1764401100000 } from '../../audit/migrations/1764401100000-audit-target-index';
import { AppVersions1764401200000 } from '../../apps/migrations/1764401200000-app-versions';
import { AuditSinkCursors1764401400000 } from '../../audit/migrations/1764401400000-audit-sink-cursors';

/**
 * Every migration, in order. Listed statically (not globbed) so the same list works in the
 * compiled build, under vitest and in the CLI. Append new migrations at the end.
 */
export const MIGRATIONS = [
  InstanceSettings1764400000000,
  Accounts1764400200000,
  CredentialVault1764400100000,
  AuthTwoFactorRateLimits1764400250000,
  AuditEvents1764400500000,
  Datasources1764400300000,
  Apps1764400400000,
  SessionPublicIds1764400600000,
  InstanceAdmins1764400700000,
  Invitations1764400710000,
  SessionSignInMethods1764400800000,
  KnownDevices1764401000000,
  AuditTargetIndex1764401100000,
  AppVersions1764401200000,
  AuditSinkCursors1764401400000,
];
