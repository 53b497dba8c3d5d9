// End to end, no faults: commands posted to the ingest API reach the provider exactly once
// through the relay, Kafka and the dispatcher, each a real process.

import { createClient } from '@exactly/sdk';
import { runScenario } from '../faults/harness/runScenario.ts';

const environment = {
  databaseUrl: process.env.DATABASE_URL ?? '',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(','),
};

describe('commands posted to the API', () => {
  it('are each sent once by the provider, and their timelines show every step', async () => {
    let timeline: string[] = [];
    let errorLines: string[] = [];
    const result = await runScenario(
      {
        name: 'e2e',
        description: 'no faults',
        seed: 1,
        commands: 60,
        // No fault here, so the services' own timeouts: the shortened ones of the fault suite
        // (a 2 s provider timeout, a 6 s session) could hold a message on a loaded machine.
        pipeline: { relays: 1, dispatchers: 1, fastRecovery: false },
        async run({ load, pipeline, caller, history }) {
          await load();
          const [first] = history.acknowledged().values();
          const id = [...(first ?? [])][0] ?? '';
          const client = createClient({ baseUrl: pipeline.baseUrl, apiKey: caller.apiKey });
          for (let i = 0; i < 100; i++) {
            const message = await client.messages.get(id);
            timeline = (message.events ?? []).map((event) => event.type);
            if (message.status === 'sent') break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          // A clean start and a run without faults log no error: expected start-up races are quiet.
          errorLines = pipeline
            .logs()
            .split('\n')
            .filter((line) => /"level":"(error|fatal)"/i.test(line));
        },
      },
      environment,
    );

    expect(result.violations).toEqual([]);
    expect(result.figures).toMatchObject({
      accepted: 60,
      acknowledged: 60,
      sends: 60,
      duplicates: 0,
      losses: 0,
      topicLosses: 0,
      outOfOrder: 0,
      providerCalls: 60,
      providerRepeats: 0,
    });
    expect(timeline).toEqual(['MessageAccepted', 'DispatchRequested', 'ProviderAccepted']);
    expect(errorLines).toEqual([]);
  }, 120_000);
});
