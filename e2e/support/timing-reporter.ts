import type { Reporter, TestCase, TestResult, TestStep } from '@playwright/test/reporter';

/**
 * With `E2E_TIMING_LOG=1` (playwright.config.ts), prints how long each web-first assertion and
 * each wait took, so the timing table of apps/api/test/README.md can be measured:
 * `E2E_TIMING_LOG=1 npx playwright test | grep '\[timing\]'` (in e2e/).
 */
export default class TimingReporter implements Reporter {
  onStepEnd(test: TestCase, _result: TestResult, step: TestStep): void {
    if (step.category !== 'expect' && !/^(Wait for|Navigate|waitFor)/i.test(step.title)) return;
    const file = test.location.file.split('/').pop();
    console.log(
      `[timing] ${file} > ${step.title} @${test.location.line}:${step.location?.line ?? '?'}: ${step.duration} ms`,
    );
  }
}
