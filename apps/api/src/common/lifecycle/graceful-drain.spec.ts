import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describe, expect, it, vi } from 'vitest';
import { DrainState } from './drain-state';
import { installGracefulDrain, REPEATED_SIGNAL_WINDOW_MS } from './graceful-drain';

function fakeApp(): { app: NestFastifyApplication; close: ReturnType<typeof vi.fn> } {
  const state = new DrainState();
  const close = vi.fn(() => Promise.resolve());
  const app = { get: () => state, close } as unknown as NestFastifyApplication;
  return { app, close };
}

const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe('graceful drain signals', () => {
  it('a stop delivered twice at once (process group + a forwarding parent) drains once, exit 0', async () => {
    const { app, close } = fakeApp();
    const exit = vi.fn();
    installGracefulDrain(app, { drainMs: 200, inFlightLimitMs: 1_000, logger, exit });
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled(), { timeout: 5_000 });
    expect(exit.mock.calls).toEqual([[0]]);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('a second signal after the window still exits at once with 1', async () => {
    const { app } = fakeApp();
    const exit = vi.fn();
    installGracefulDrain(app, { drainMs: 3_000, inFlightLimitMs: 1_000, logger, exit });
    process.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setTimeout(r, REPEATED_SIGNAL_WINDOW_MS + 100));
    process.emit('SIGINT', 'SIGINT');
    expect(exit.mock.calls).toEqual([[1]]);
  });
});
