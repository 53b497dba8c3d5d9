import { duringLoad, shuffled } from '../harness/duringLoad.ts';
import type { Scenario } from '../harness/runScenario.ts';

/**
 * kill -9 of every service in turn, then of random ones, at random moments while the load runs;
 * each comes back after a random pause. Every kind (ingest, relay, dispatcher) dies at least once.
 */
export const killEveryService: Scenario = {
  name: 'kill-every-service',
  description: 'kill -9 of the ingest API, each relay and each dispatcher, repeatedly, at random moments',
  seed: 101,
  commands: 1_500,
  load: { ratePerSecond: 60 },
  async run(context) {
    const { pipeline, random } = context;
    // One of each kind first (in a seeded order), then every member in turn, then any.
    const kinds = shuffled([pipeline.ingest, pipeline.relays[0], pipeline.dispatchers[0]], random);
    const order = [...kinds, ...shuffled(pipeline.all(), random)].filter((member) => member !== undefined);
    await duringLoad(context.load(), async (round) => {
      await context.sleep(context.between(300, 1_500));
      const member =
        order[round] ?? pipeline.all()[Math.floor(random() * pipeline.all().length)] ?? pipeline.ingest;
      const downMs = context.between(0, 1_500);
      context.injected(`kill -9 ${member.process.name}, back after ${downMs} ms`);
      await pipeline.crash(member, downMs);
    });
  },
};
