import type { Scenario } from '../harness/runScenario.ts';

const measureMs = 6_000;
/** The overload's length, unless the run sets one (long mode: its minutes). */
const defaultOverloadMs = 8_000;

/**
 * Measures what the ingest API accepts per second with 64 clients, then offers twice that, open
 * loop, to an API with an admission limit of 64 create requests in flight. The excess must be
 * shed (503 `overloaded`, nothing stored), and everything acknowledged sent once.
 */
export const overload: Scenario = {
  name: 'overload',
  description:
    'twice the measured capacity offered open loop to an ingest API with ADMISSION_LIMIT=64: excess shed with 503, none accepted and lost',
  seed: 1313,
  commands: 0,
  settleTimeoutMs: 90_000,
  // Shed keys whose three attempts were all shed end unacknowledged (and must be absent).
  minAcknowledged: 0.5,
  pipeline: { env: { ingest: { ADMISSION_LIMIT: '64' } } },
  async run(context) {
    const measure = new AbortController();
    const timer = setTimeout(() => measure.abort(), measureMs);
    const started = Date.now();
    await context.load({ commands: 100_000, concurrency: 64, keyPrefix: 'measure', signal: measure.signal });
    clearTimeout(timer);
    const ok = context.history.attempts.filter((attempt) => attempt.outcome === 'ok').length;
    const capacity = Math.max(50, Math.round((ok * 1000) / (Date.now() - started)));
    const rate = 2 * capacity;
    const overloadMs = context.loadLimitMs ?? defaultOverloadMs;
    context.injected(`measured ${capacity} commands/s; offering ${rate}/s for ${overloadMs / 1000} s`, 0);
    context.offering(rate);
    await context.sleep(2_000);
    await context.load({
      commands: Math.round((rate * overloadMs) / 1000),
      ratePerSecond: rate,
      concurrency: 1_024,
      maxAttempts: 3,
      keyPrefix: 'overload',
    });
    const shed = context.history.attempts.filter((attempt) => attempt.code === 'overloaded').length;
    context.injected(`${shed} requests shed with 503 overloaded`, shed);
    if (shed === 0) context.problem('nothing was shed: the load never exceeded the admission limit');
  },
};
