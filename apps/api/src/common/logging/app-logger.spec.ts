import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, createAppLogger, PinoNestLogger } from './app-logger';
import { readyMessage } from './ready-message';

/** A logger at `level` writing JSON lines into the returned array. */
function memoryLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { lines, nest: new PinoNestLogger(createAppLogger(level, stream)) };
}

// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

describe('chooseLogFormat', () => {
  it('writes readable text to a terminal and JSON to anything else (pipe, file, CI)', () => {
    expect(chooseLogFormat({ isTTY: true })).toBe('pretty');
    expect(chooseLogFormat({ isTTY: false })).toBe('json');
    // A pipe's stream has no isTTY property at all.
    expect(chooseLogFormat({})).toBe('json');
  });
});

describe('createAppLogger, text format (a terminal)', () => {
  it('writes one readable line per event, with the same redaction as JSON', () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString('utf8');
        callback();
      },
    });
    const logger = createAppLogger('debug', stream, 'pretty');
    const nest = new PinoNestLogger(logger);
    nest.log('Bastion is ready: http://127.0.0.1:3000', 'Bastion');
    nest.warn('key written', 'CredentialVault');
    logger.info({ password: 'Canary-PRETTY-1', config: { password: 'Canary-PRETTY-2' } }, 'x');
    nest.error('connect postgres://u:Canary-PRETTY-3@db/x failed', 'Error: at y\n at z', 'Db');
    logger.debug(
      {
        req: { method: 'GET', url: '/api/health' },
        res: { statusCode: 200 },
        responseTime: 4.2,
      },
      'request completed',
    );
    // Colours depend on the environment (FORCE_COLOR, NO_COLOR): compared without them.
    const lines = text.replace(ANSI_COLOUR, '').split('\n').filter(Boolean);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\] INFO: Bastion is ready: http:\/\/127\.0\.0\.1:3000$/,
    );
    expect(lines[1]).toMatch(/WARN: \[CredentialVault\] key written$/);
    expect(lines[4]).toMatch(/DEBUG: request completed GET \/api\/health 200 4 ms$/);
    expect(text).not.toMatch(/Canary-PRETTY/);
    // Not JSON: a person reads it.
    expect(() => JSON.parse(lines[0]) as unknown).toThrow();
  });
});

describe('PinoNestLogger', () => {
  it("logs Nest's route and module lines at debug, other lines at info", () => {
    const info = memoryLogger('info');
    info.nest.log('Mapped {/api/health, GET} route', 'RouterExplorer');
    info.nest.log('HealthController {/api/health}:', 'RoutesResolver');
    info.nest.log('AppModule dependencies initialized', 'InstanceLoader');
    info.nest.log('Starting Nest application...', 'NestFactory');
    info.nest.log('Nest application successfully started', 'NestApplication');
    info.nest.log('credential vault: 1 key(s)', 'CredentialVault');
    expect(info.lines.map((l) => l.msg)).toEqual(['credential vault: 1 key(s)']);

    const debug = memoryLogger('debug');
    debug.nest.log('Mapped {/api/health, GET} route', 'RouterExplorer');
    expect(debug.lines).toMatchObject([
      { level: 'debug', context: 'RouterExplorer', msg: 'Mapped {/api/health, GET} route' },
    ]);
  });

  it('still redacts secrets in messages at every level', () => {
    const debug = memoryLogger('debug');
    debug.nest.log('connect postgres://u:Canary-LOG@db/x', 'RouterExplorer');
    debug.nest.warn('password=Canary-WARN', 'CredentialVault');
    const text = JSON.stringify(debug.lines);
    expect(text).not.toContain('Canary-LOG');
    expect(text).not.toContain('Canary-WARN');
  });
});

describe('readyMessage', () => {
  it('names the URL, and on a fresh instance what to do with it', () => {
    const config = { host: '127.0.0.1', port: 3001 };
    expect(readyMessage(config, true)).toBe(
      'Bastion is ready: http://127.0.0.1:3001  (first run: open it to create the admin account)',
    );
    expect(readyMessage(config, false)).toBe('Bastion is ready: http://127.0.0.1:3001');
    expect(readyMessage({ host: '0.0.0.0', port: 443, tls: {} }, false)).toBe(
      'Bastion is ready: https://localhost:443',
    );
  });
});
