import '@testing-library/jest-dom/vitest';
import { configure, getConfig } from '@testing-library/react';
import { expect } from 'vitest';

// findBy* and waitFor wait for React to render what a fake API answered: measured up to
// ~1 s on a busy 2-core machine (the default limit is 1 s), so 5 s (apps/api/test/README.md).
configure({ asyncUtilTimeout: 5_000 });

// TEST_TIMING_LOG=1 prints how long each of those waits took, to re-measure that margin.
if (process.env.TEST_TIMING_LOG === '1') {
  const config = getConfig();
  const inner = config.asyncWrapper.bind(config) as (cb: () => unknown) => Promise<unknown>;
  configure({
    asyncWrapper: async (cb: () => unknown) => {
      const started = performance.now();
      try {
        return await inner(cb);
      } finally {
        const ms = Math.round(performance.now() - started);
        // eslint-disable-next-line no-console -- opt-in timing figures
        console.log(`[timing] ${expect.getState().currentTestName}: wait ${ms} ms (limit 5000 ms)`);
      }
    },
  });
}
