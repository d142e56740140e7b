import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { loadKeyring } from './keyring-loader';

/** Injection token of the boot-time {@link Keyring} (derived once, then shared). */
export const VAULT_KEYRING = Symbol('VAULT_KEYRING');

/** Loads the keyring at boot; a bad or missing key stops the server here. */
export const vaultKeyringProvider: Provider = {
  provide: VAULT_KEYRING,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const logger = new Logger('CredentialVault');
    return loadKeyring(config, {
      log: (m) => logger.log(m),
      warn: (m) => logger.warn(m),
    });
  },
};
