import { ConfigValidationError, loadAppConfig } from './config/app-config';
import { assertProductionSafe, ProductionSafetyError } from './config/production-safety';

/**
 * Entry point: parse the environment once, refuse unsafe production settings, build the app,
 * listen (plus the HTTP->HTTPS redirect listener when configured), print the URL.
 * Exit status 1 with a message naming the variable (never its value) on a refusal.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig(process.env);
    assertProductionSafe(config);
  } catch (error) {
    if (error instanceof ConfigValidationError || error instanceof ProductionSafetyError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Loaded only once the settings passed: a refusal answers in milliseconds, not after
  // loading Nest, TypeORM and the drivers.
  await import('reflect-metadata');
  const { Logger } = await import('@nestjs/common');
  const { createApp } = await import('./app.factory');
  const { startHttpsRedirect } = await import('./common/http/https-redirect');
  const { WorkspaceService } = await import('./workspaces/workspace.service');
  const { readyMessage } = await import('./common/logging/ready-message');
  const app = await createApp(config);
  const { installGracefulDrain } = await import('./common/lifecycle/graceful-drain');
  installGracefulDrain(app, { ...config.shutdown, logger: new Logger('Shutdown') });
  await app.listen({ port: config.port, host: config.host });
  const logger = new Logger('Bastion');
  if (config.tls && config.httpRedirectPort !== undefined) {
    await startHttpsRedirect({
      host: config.host,
      port: config.httpRedirectPort,
      httpsPort: config.port,
    });
    logger.log(`Redirecting http://:${config.httpRedirectPort} to HTTPS`);
  }
  const setupRequired = await app
    .get(WorkspaceService, { strict: false })
    .isSetupRequired()
    .catch(() => false);
  // Last line of the start, so a newcomer finds the address without reading the rest.
  logger.log(readyMessage(config, setupRequired));
}

main().catch((error: unknown) => {
  // Startup failures are printed without stack noise; messages never carry key material.
  process.stderr.write(
    `Bastion failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
