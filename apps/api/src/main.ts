import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigValidationError, loadAppConfig } from './config/app-config';

/** Entry point: parse the environment once, build the app, listen, print the URL. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  const scheme = config.tls ? 'https' : 'http';
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  new Logger('Bastion').log(`Bastion is running at ${scheme}://${shownHost}:${config.port}`);
}

main().catch((error: unknown) => {
  // Startup failures are printed without stack noise; messages never carry key material.
  process.stderr.write(
    `Bastion failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
