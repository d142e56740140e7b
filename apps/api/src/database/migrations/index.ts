import { InstanceSettings1764400000000 } from './1764400000000-instance-settings';
import { Accounts1764400200000 } from './1764400200000-accounts';
import { CredentialVault1764400100000 } from '../../credential-vault/migrations/1764400100000-credential-vault';

/**
 * Every migration, in order. Listed statically (not globbed) so the same list works in the
 * compiled build, under vitest and in the CLI. Append new migrations at the end.
 */
export const MIGRATIONS = [
  InstanceSettings1764400000000,
  Accounts1764400200000,
  CredentialVault1764400100000,
];
