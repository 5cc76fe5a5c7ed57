// A webgpu suite (webgpu-suite.ts) as vitest tests: its children run once in beforeAll, each check is a test.
// Without an adapter the checks are skipped with the reason, except in CI (CI=true), where they fail.
import { beforeAll, describe, it } from 'vitest';
import type { SuiteOutcome, WebgpuSuite } from './webgpu-suite';

export function describeWebgpuSuite<R>(suite: WebgpuSuite<R>, timeoutMs = 900_000): void {
  let outcome: SuiteOutcome<R>;
  beforeAll(async () => {
    outcome = await suite.run();
    if ('unavailable' in outcome && process.env.CI === 'true') {
      throw new Error(`CI must run webgpu on Mesa's software adapter (.ci/run installs Mesa's EGL/GL drivers): ${outcome.unavailable}`);
    }
  }, timeoutMs);
  describe(suite.title, () => {
    for (const c of suite.checks) {
      it(c.name, (ctx) => {
        if ('unavailable' in outcome) return ctx.skip(`no WebGPU adapter on this host: ${outcome.unavailable.slice(0, 300)}`);
        c.check(outcome.result);
      });
    }
  });
}
