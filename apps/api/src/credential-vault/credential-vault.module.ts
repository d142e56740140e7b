import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VAULT_READINESS } from '../health/health.service';
import { CredentialVaultService } from './credential-vault.service';
import { VaultCanaryEntity } from './vault-canary.entity';
import { VaultCanaryRepository } from './vault-canary.repository';
import { VaultCanaryService } from './vault-canary.service';
import { VaultCheckService } from './vault-check.service';
import { VaultDataKeyEntity } from './vault-data-key.entity';
import { VaultDataKeyRepository } from './vault-data-key.repository';
import { vaultKeyringProvider } from './vault-keyring.provider';
import { VaultRotationService } from './vault-rotation.service';

/**
 * The credential vault (README.md in this folder). Global: any module can inject
 * {@link CredentialVaultService}. Boot stops here when the key is missing in production, an
 * example key, or not the one the database was written with.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([VaultDataKeyEntity, VaultCanaryEntity])],
  providers: [
    vaultKeyringProvider,
    VaultDataKeyRepository,
    VaultCanaryRepository,
    VaultCanaryService,
    CredentialVaultService,
    VaultRotationService,
    VaultCheckService,
    { provide: VAULT_READINESS, useExisting: VaultCanaryService },
  ],
  exports: [CredentialVaultService, VaultRotationService, VaultCheckService, VAULT_READINESS],
})
export class CredentialVaultModule {}
