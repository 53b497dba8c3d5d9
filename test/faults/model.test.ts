// A model-based property test (fast-check `fc.commands`): random sequences of submit, retry,
// concurrent bursts (started in an order fast-check's scheduler picks, with a kill -9 of the
// ingest API among them), redeliveries written straight into the topic, crashes of a relay or a
// dispatcher and replays of the whole topic, against the real services, which keep running across
// runs. After each run the database is compared with the model. EXACTLY_MODEL_RUNS sets the
// number of runs (200 in `npm test`, 500 in `npm run test:faults` and with EXACTLY_FAULTS=model,
// thousands on demand), EXACTLY_MODEL_SEED the seed.

import { fileURLToPath } from 'node:url';
import { createKafka } from '@exactly/messaging';
import { issueApiKey, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { FakeProvider } from '@exactly/testkit';
import fc from 'fast-check';
import type { Consumer, Producer } from 'kafkajs';
import { checkInvariants } from './harness/checker.ts';
import { History } from './harness/history.ts';
import { currentCommit, saveModelRun } from './harness/longRuns.ts';
import { Pipeline } from './harness/pipeline.ts';
import { writeResults } from './harness/results.ts';
import { createScenarioDatabase } from './harness/runScenario.ts';
import {
  type CapturedRecord,
  completeRun,
  type Model,
  modelCommands,
  newClient,
  type Real,
  slowFaults,
} from './model/modelCommands.ts';

const runs = Number(
  process.env.EXACTLY_MODEL_RUNS ??
    (['full', 'model'].includes(process.env.EXACTLY_FAULTS ?? '') ? 500 : 200),
);
const seed = Number(process.env.EXACTLY_MODEL_SEED ?? 4242);
/** Weight of each slow fault (relay crash: 4 s lease; dispatcher crash: 6 s session timeout; replay: a rejoin). */
const heavy = Number(process.env.EXACTLY_MODEL_HEAVY ?? 1);
/** How many slow faults one property may spend (one per 16 runs by default: each costs seconds). */
slowFaults.budget = Number(process.env.EXACTLY_MODEL_SLOW_FAULTS ?? Math.ceil(runs / 16));

/** Long mode (or EXACTLY_MODEL_KEEP=1) keeps this run in `model-runs/` for RESULTS-long.md. */
const keep = process.env.EXACTLY_FAULTS_LONG === '1' || process.env.EXACTLY_MODEL_KEEP === '1';
const commitUnderTest = currentCommit();
const started = Date.now();
/** Whether the property held, once it has run (undefined: it did not run to the end). */
let passed: boolean | undefined;

const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '').split(',');
let database: { url: string; drop(): Promise<void> };
let orm: Orm;
let provider: FakeProvider;
let pipeline: Pipeline;
let consumer: Consumer;
let producer: Producer;
const records = new Map<string, CapturedRecord>();
const faults: string[] = [];

beforeAll(async () => {
  database = await createScenarioDatabase(process.env.DATABASE_URL ?? '', 'model');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
  provider = new FakeProvider({ honoursKeys: true });
  const providerUrl = await provider.listen();
  pipeline = new Pipeline({
    databaseUrl: database.url,
    kafkaBrokers,
    providerUrl,
    // The model's provider honours keys (it replays a repeated key), so the dispatcher retries an ambiguous call.
    onAmbiguous: 'retry',
    relays: 1,
    dispatchers: 1,
  });
  await pipeline.start();
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: 'faults-model' });
  consumer = kafka.consumer({ groupId: `${pipeline.consumerGroup}-capture` });
  producer = kafka.producer();
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: pipeline.topics.commands, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const id = message.headers?.['exactly-message-id']?.toString();
      if (id && !records.has(id))
        records.set(id, {
          partition,
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
        });
    },
  });
}, 120_000);

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await pipeline?.stop();
  await provider?.close();
  await orm?.close();
  await database?.drop();
  console.log(`model test: ${runs} runs, ${faults.length} faults injected (${summarise(faults)})`);
  // For RESULTS.md: which runs and seed the model test last passed through.
  await writeResults(
    fileURLToPath(new URL('./.artifacts/model.json', import.meta.url)),
    JSON.stringify({ runs, seed, faults: faults.length, date: new Date().toISOString() }),
  );
  // Long mode keeps each seed's run (committed) for RESULTS-long.md, passed or not.
  if (keep && passed !== undefined)
    await saveModelRun({
      runs,
      seed,
      passed,
      faults: faults.length,
      faultKinds: summarise(faults),
      seconds: Math.round((Date.now() - started) / 1_000),
      date: new Date().toISOString(),
      commit: commitUnderTest,
    });
}, 120_000);

function summarise(list: string[]): string {
  const counts = new Map<string, number>();
  for (const fault of list) {
    const kind = fault.replace(/ msg_\S+/, '');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${n}× ${kind}`).join(', ');
}

async function newCaller(): Promise<{ accountId: string; apiKey: string }> {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'model run']);
  const { apiKey } = await issueApiKey(orm.em.fork(), accountId);
  return { accountId, apiKey };
}

describe('the pipeline against a model', () => {
  it(
    `keeps every accepted command sent exactly once over ${runs} random runs of submits, retries, bursts, crashes, redeliveries and replays`,
    async () => {
      let run = 0;
      passed = false;
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.commands(modelCommands(heavy), { maxCommands: 6 }),
          async (scheduler, commands) => {
            run += 1;
            const caller = await newCaller();
            const started = Date.now();
            const history = new History();
            const real: Real = {
              pipeline,
              client: newClient(pipeline.baseUrl, caller.apiKey),
              history,
              records,
              producer,
              scheduler,
              restarts: [],
              keyPrefix: `run${run}`,
              injected: (what) => faults.push(what),
            };
            const model: Model = { keys: new Map() };
            await fc.asyncModelRun(() => ({ model, real }), commands);
            await completeRun(model, real);

            // Only what the provider saw since this run began counts for it (earlier runs settled
            // before); read when the checker asks, after everything settled.
            const since = () => provider.calls.filter((call) => call.at >= started);
            const view = {
              get calls() {
                return since();
              },
              get sentKeys() {
                return new Set(
                  since()
                    .filter((call) => call.outcome === 'sent')
                    .map((call) => call.key),
                );
              },
            };
            const verdict = await checkInvariants({
              databaseUrl: database.url,
              accountId: caller.accountId,
              history,
              provider: view,
              onAmbiguous: 'retry',
              kafkaBrokers,
              topics: pipeline.topics,
              settleTimeoutMs: 30_000,
              readDeadLetterTopic: false,
              pollMs: 25,
              orm,
            });
            const { rows } = await runSql<{
              id: string;
              message_key: string;
              recipient: string;
              channel: string;
            }>(
              orm.em.fork(),
              'SELECT id, message_key, recipient, channel FROM messages WHERE account_id = $1',
              [caller.accountId],
            );
            const differences: string[] = [];
            if (rows.length !== model.keys.size)
              differences.push(`${rows.length} messages stored, the model has ${model.keys.size} keys`);
            for (const row of rows) {
              const known = model.keys.get(row.message_key);
              if (known?.messageId !== row.id)
                differences.push(`key ${row.message_key}: stored ${row.id}, model ${known?.messageId}`);
              else if (known.body.to !== row.recipient || known.body.channel !== row.channel)
                differences.push(`key ${row.message_key}: stored another body than the one accepted`);
            }
            const problems = [...verdict.violations, ...differences];
            if (problems.length > 0)
              throw new Error(
                `run ${run} (${[...commands].join(', ')}):\n${problems.slice(0, 10).join('\n')}`,
              );
          },
        ),
        {
          numRuns: runs,
          seed,
          endOnFailure: process.env.EXACTLY_MODEL_SHRINK !== '1',
          interruptAfterTimeLimit: undefined,
        },
      );
      passed = true;
    },
    Math.max(300_000, runs * 3_000),
  );
});
