import { duringLoad } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';

/**
 * SIGSTOP of a dispatcher for longer than its session timeout (6 s), then SIGCONT: the group
 * moves its partitions while it is frozen, mid-batch or mid-call (the provider answers after
 * 150 ms, so calls are in flight), and the zombie that wakes up must not send anything twice.
 */
export const zombieDispatcher: Scenario = {
  name: 'zombie-dispatcher',
  description:
    'SIGSTOP of a dispatcher for 10-14 s (session timeout 6 s, calls in flight), then SIGCONT, repeatedly',
  seed: 505,
  commands: 1_500,
  providerLatencyMs: 150,
  load: { ratePerSecond: 50 },
  async run(context) {
    const { pipeline } = context;
    await duringLoad(
      context.load(),
      async (round) => {
        await context.sleep(context.between(1_000, 3_000));
        const member = pipeline.dispatchers[round % pipeline.dispatchers.length] ?? pipeline.dispatchers[0];
        if (!member) return;
        const frozenMs = context.between(10_000, 14_000);
        context.injected(`SIGSTOP ${member.process.name} for ${frozenMs} ms`);
        await pipeline.freeze(member, frozenMs);
      },
      3,
    );
  },
};
