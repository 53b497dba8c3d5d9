import { createKafka } from '@exactly/messaging';
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
