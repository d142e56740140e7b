/**
 * The start's last line: `Bastion is ready: http://localhost:3000`, plus what to do on a fresh
 * instance (no account yet). `0.0.0.0` (all addresses) is shown as `localhost`.
 */
export function readyMessage(
  config: { tls?: unknown; host: string; port: number },
  setupRequired: boolean,
): string {
  const scheme = config.tls ? 'https' : 'http';
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const url = `${scheme}://${shownHost}:${config.port}`;
  return setupRequired
    ? `Bastion is ready: ${url}  (first run: open it to create the admin account)`
    : `Bastion is ready: ${url}`;
}
