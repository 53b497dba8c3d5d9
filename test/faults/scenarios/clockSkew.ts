import type { Scenario } from '../harness/runScenario.ts';
import { ensureTools, libfaketime } from '../injectors/systemTools.ts';

/** Environment that runs a Node.js process with its wall clock moved by `offset` (libfaketime; timers keep real time). */
function skewedClock(offset: string): Record<string, string> {
  ensureTools('faketime');
  return { LD_PRELOAD: libfaketime, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

/**
 * The ingest API's clock runs 90 s behind PostgreSQL's, with keys kept for 60 s. Every key is
 * sent again 3 s after its first acceptance, well inside its retention: each must be answered
 * with the first reply, never run again, and never purged by the clean-up meanwhile. The resend
 * follows each key (not a second pass after the whole load), so it stays inside the retention
 * however long the load runs: a second pass after long mode's 5 minutes sent every key again
 * long after it had expired, and the checker rightly counted each as a new command.
 */
export const clockSkewIngest: Scenario = {
  name: 'clock-skew-ingest',
  description:
    "the ingest API's clock 90 s behind (faketime), keys kept 60 s: every key sent again inside its retention must replay",
  seed: 1111,
  commands: 600,
  load: { ratePerSecond: 60 },
  pipeline: {
    relays: 1,
    dispatchers: 2,
    env: { ingest: { IDEMPOTENCY_RETENTION: '60s', IDEMPOTENCY_CLEANUP_INTERVAL: '1s' } },
    memberEnv: (kind) => (kind === 'ingest' ? skewedClock('-90s') : {}),
  },
  async run(context) {
    context.injected("ingest API's clock 90 s behind");
    await context.load({ resendAfterMs: 3_000 });
    const replayed = new Set(
      context.history.attempts.filter((attempt) => attempt.replayed).map((attempt) => attempt.key),
    ).size;
    context.injected(`every key sent again 3 s after its acceptance: ${replayed} keys replayed`, 0);
    const acknowledged = context.history.acknowledged().size;
    if (replayed < acknowledged)
      context.problem(`only ${replayed} of ${acknowledged} acknowledged keys were answered as a replay`);
  },
};

/**
 * One dispatcher's clock runs 60 s ahead of PostgreSQL's while a fifth of the provider calls
 * fail: its retries must still come when their backoff says, not a minute later, and nothing is
 * sent twice.
 */
export const clockSkewDispatcher: Scenario = {
  name: 'clock-skew-dispatcher',
  description:
    "one dispatcher's clock 60 s ahead (faketime) while 20% of provider calls fail: retries keep their backoff, nothing sent twice",
  seed: 1212,
  commands: 600,
  load: { ratePerSecond: 60 },
  settleTimeoutMs: 30_000,
  pipeline: {
    relays: 1,
    dispatchers: 2,
    memberEnv: (kind, index) => (kind === 'dispatcher' && index === 0 ? skewedClock('+60s') : {}),
  },
  async run(context) {
    context.injected("dispatcher-0's clock 60 s ahead");
    context.provider.failWith({ kind: 'fail-rate', rate: 0.2 });
    try {
      await context.load();
      await context.sleep(3_000);
    } finally {
      context.provider.failWith({ kind: 'none' });
    }
    const failures = context.provider.calls.filter((call) => call.outcome === 'failed').length;
    context.injected(`${failures} provider calls failed (500)`, failures);
  },
};
