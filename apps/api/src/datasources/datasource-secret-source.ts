import type { Provider } from '@nestjs/common';
import {
  VAULT_SECRET_SOURCES,
  type VaultSecretRef,
  type VaultSecretSource,
} from '../credential-vault/credential-vault.service';
import { DatasourceRepository } from './datasource.repository';

/** Lists every stored datasource secret for `vault check` (ids and fields, never values). */
export const datasourceSecretSourceProvider: Provider = {
  provide: VAULT_SECRET_SOURCES,
  inject: [DatasourceRepository],
  useFactory: (repo: DatasourceRepository): VaultSecretSource => ({
    name: 'datasources',
    async *listSecrets(): AsyncIterable<VaultSecretRef> {
      for await (const s of repo.allSecrets()) {
        yield {
          workspaceId: s.workspaceId,
          datasourceId: s.datasourceId,
          field: s.field,
          stored: s.ciphertext,
        };
      }
    },
  }),
};
