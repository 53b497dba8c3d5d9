import { createKafka } from '@exactly/messaging';
import pg from 'pg';
import type { Scenario } from '../harness/runScenario.ts';
import { replayFromStart } from './replayWholeTopic.ts';

/**
 * Negative control: the inbox forgets commands long before Kafka does. The commands topic is made
 * with retention.ms and segment.ms of one second, which lets the dispatcher start with an inbox
 * retention of three seconds (its start-up check counts retention.ms + segment.ms + RELAY_MAX_LAG),
 * yet the broker deletes segments only at its retention checks (30 s after start, then every
 * log.retention.check.interval.ms, an hour on the local brokers: see infra's localKafka.ts), so
 * the records are all still there. A check landing mid-scenario (every 5 minutes, Kafka's
 * default) once deleted them and the control found nothing to report. The inbox
 * is cleaned, then the whole topic is replayed. The checker must report every replayed command.
 */
export const inboxHorizonControl: Scenario = {
  name: 'control-inbox-horizon',
  description:
    'NEGATIVE CONTROL: inbox retention (3 s) shorter than a rewind of the topic; the checker must report the commands that came back',
  seed: 909,
  commands: 300,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  pipeline: {
    dispatchers: 2,
    env: { dispatcher: { INBOX_RETENTION: '3s', RELAY_MAX_LAG: '0', INBOX_CLEANUP_INTERVAL: '1s' } },
  },
  async beforeStart(pipeline) {
    const admin = createKafka({ brokers: pipeline.kafkaBrokers, clientId: 'faults-control' }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: pipeline.topics.commands,
            numPartitions: 12,
            configEntries: [
              { name: 'retention.ms', value: '1000' },
              { name: 'segment.ms', value: '1000' },
            ],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
  },
  async run(context) {
    await context.load();
    // Everything is sent and its inbox row older than the retention, cleaned every second.
    await context.sleep(6_000);
    await replayFromStart(context.pipeline, context);
  },
};

/**
 * Negative control: idempotency keys kept for two seconds, and the client sends every key again
 * four seconds later (a retry after a long outage). Expired keys run as new, so each command is
 * accepted and sent twice: the checker must report every one of them as a duplicate.
 */
export const keyRetentionControl: Scenario = {
  name: 'control-key-retention',
  description:
    'NEGATIVE CONTROL: idempotency keys kept 2 s, every key sent again 4 s later; the checker must report the duplicates',
  seed: 919,
  commands: 200,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  pipeline: {
    dispatchers: 1,
    relays: 1,
    env: { ingest: { IDEMPOTENCY_RETENTION: '2s', IDEMPOTENCY_CLEANUP_INTERVAL: '1s' } },
  },
  async run(context) {
    await context.load();
    await context.sleep(4_000);
    context.injected('every key sent again after its retention', 200);
    await context.load();
  },
};

/**
 * Negative control for the loss checkers: with the relay down, the test deletes some commands'
 * outbox rows behind the system's back (a test-only fault: nothing in the product deletes an
 * unpublished row), then the relay comes back. The checker must report those acknowledged commands
 * as lost, both from the database and from the commands topic it reads itself.
 */
export const lostCommandControl: Scenario = {
  name: 'control-lost-command',
  description:
    'NEGATIVE CONTROL: 20 acknowledged commands have their outbox rows deleted before the relay publishes them; the checkers must report them lost',
  seed: 929,
  commands: 100,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  controlFinding: (figures) =>
    figures.topicLosses === 20 && figures.losses >= 20
      ? undefined
      : `expected 20 commands lost on the topic and in the database, found ${figures.topicLosses} and ${figures.losses}`,
  settleTimeoutMs: 10_000,
  pipeline: { relays: 1, dispatchers: 1 },
  async run(context) {
    const [relay] = context.pipeline.relays;
    if (relay) await relay.process.kill();
    await context.load();
    const client = new pg.Client({ connectionString: context.pipeline.databaseUrl });
    await client.connect();
    try {
      const { rowCount } = await client.query(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox
            WHERE topic = $1 AND published_at IS NULL AND payload -> 'data' ->> 'accountId' = $2
            ORDER BY id LIMIT 20)`,
        [context.pipeline.topics.commands, context.caller.accountId],
      );
      context.injected('unpublished outbox rows deleted behind the relay', rowCount ?? 0);
      if (rowCount !== 20) context.problem(`only ${rowCount} unpublished rows could be deleted`);
    } finally {
      await client.end();
    }
  },
};

/**
 * Negative control for the order checker: after a clean run, the test produces a made-up message's
 * events straight to the events topic out of order (versions 1, 3, 2), as a broken relay would.
 * The checker, reading the topic with its own consumer, must report that stream.
 */
export const outOfOrderControl: Scenario = {
  name: 'control-out-of-order',
  description:
    'NEGATIVE CONTROL: one stream written to the events topic as versions 1, 3, 2 behind the relay; the order checker must report it',
  seed: 939,
  commands: 50,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  controlFinding: (figures) =>
    figures.outOfOrder === 1 ? undefined : `expected 1 stream out of order, found ${figures.outOfOrder}`,
  pipeline: { relays: 1, dispatchers: 1 },
  async run(context) {
    await context.load();
    const producer = createKafka({
      brokers: context.pipeline.kafkaBrokers,
      clientId: 'faults-control',
    }).producer();
    await producer.connect();
    try {
      const streamId = `control-${Math.floor(context.random() * 1e9)}`;
      const event = (version: number) => ({
        key: streamId,
        value: JSON.stringify({
          type: 'ControlEvent',
          data: {},
          metadata: { streamId, version, accountId: context.caller.accountId, at: new Date().toISOString() },
        }),
      });
      await producer.send({ topic: context.pipeline.topics.events, messages: [1, 3, 2].map(event) });
      context.injected('one stream produced to the events topic as versions 1, 3, 2');
    } finally {
      await producer.disconnect();
    }
  },
};
