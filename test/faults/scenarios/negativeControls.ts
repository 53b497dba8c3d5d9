import { createHash } from 'node:crypto';
import { createKafka } from '@exactly/messaging';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import pg from 'pg';
import type { LoadOptions } from '../harness/loadClient.ts';
import type { Pipeline } from '../harness/pipeline.ts';
import type { Scenario } from '../harness/runScenario.ts';
import { replayFromStart } from './replayWholeTopic.ts';

/**
 * Negative control: the inbox forgets commands long before Kafka does. The commands topic is made
 * with retention.ms and segment.ms of one second, which lets the dispatcher start with an inbox
 * retention of three seconds (its start-up check counts retention.ms + segment.ms + RELAY_MAX_LAG).
 * Once the dispatchers run, the topic's retention is raised to an hour behind their back (a
 * topic's settings can drift after the check) for the load, so that no retention check of the
 * broker (30 s after it starts, then hourly on the local brokers: see infra's localKafka.ts)
 * deletes records mid-scenario: in long mode one did, 30 s into the load, and the records not yet
 * consumed were lost to the control's own setting. After the load, the inbox's rows past the
 * retention are deleted, the topic's retention set back to one second (the replay restarts the
 * dispatchers, which check it again), and the whole topic replayed. The checker must report every
 * replayed command.
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
    env: { dispatcher: { INBOX_RETENTION: '3s', RELAY_MAX_LAG: '0' } },
  },
  async beforeStart(pipeline) {
    await withAdmin(pipeline, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: pipeline.topics.commands, numPartitions: 12, configEntries: commandsTopicConfig(1_000) },
        ],
      }),
    );
  },
  async run(context) {
    await setCommandsRetention(context.pipeline, 3_600_000);
    await context.load();
    // Everything is sent and its inbox row older than the retention. The inbox forgets it: the
    // maintenance service drops whole days, which cannot be 3 s long, so the rows go here instead.
    await context.sleep(6_000);
    const client = new pg.Client({ connectionString: context.pipeline.databaseUrl });
    await client.connect();
    try {
      await client.query(
        "DELETE FROM inbox WHERE topic = $1 AND received_at < now() - interval '3 seconds'",
        [context.pipeline.topics.commands],
      );
    } finally {
      await client.end();
    }
    await setCommandsRetention(context.pipeline, 1_000);
    await replayFromStart(context.pipeline, context);
  },
};

/** The commands topic's retention.ms, with segment.ms of one second (a segment is deleted only once closed). */
const commandsTopicConfig = (retentionMs: number) => [
  { name: 'retention.ms', value: String(retentionMs) },
  { name: 'segment.ms', value: '1000' },
];

/** Sets the commands topic's retention.ms (alterConfigs replaces every entry, so segment.ms is set again). */
async function setCommandsRetention(pipeline: Pipeline, retentionMs: number): Promise<void> {
  await withAdmin(pipeline, (admin) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: pipeline.topics.commands,
          configEntries: commandsTopicConfig(retentionMs),
        },
      ],
    }),
  );
}

async function withAdmin<T>(pipeline: Pipeline, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka({ brokers: pipeline.kafkaBrokers, clientId: 'faults-control' }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A second pass over exactly the keys the first one tried. In long mode the first pass stops at
 * its time limit wherever it got to, and a second pass under the same limit would get elsewhere:
 * keys tried once only, or new keys tried once.
 */
function everyKeyAgain(tried: number): Partial<LoadOptions> {
  return { commands: tried, stopAfterMs: undefined };
}

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
    const tried = context.history.keys();
    context.injected('every key sent again after its retention', tried);
    await context.load(everyKeyAgain(tried));
  },
};

/**
 * Negative control for the loss checkers: the relay is stopped while the load runs, the test
 * deletes 20 of the commands' outbox rows behind the system's back (a test-only fault: nothing in
 * the product deletes an unpublished row), then the relay comes back and the load goes on. The
 * checker must report those 20 acknowledged commands as lost, both from the database and from the
 * commands topic it reads itself. The relay is down for seconds only (in long mode, out of minutes
 * of load): the rest of the load flows, and settles within the check's wait.
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
    figures.topicLosses === 20 && figures.losses === 20
      ? undefined
      : `expected 20 commands lost on the topic and in the database, found ${figures.topicLosses} and ${figures.losses}`,
  settleTimeoutMs: 10_000,
  // The 20 never settle; the rest, seconds of backlog, well within it.
  longSettleTimeoutMs: 120_000,
  pipeline: { relays: 1, dispatchers: 1 },
  async run(context) {
    const [relay] = context.pipeline.relays;
    if (!relay) return context.problem('no relay to stop');
    await relay.process.kill();
    const loaded = context.load();
    // Rows pile up behind the stopped relay: the whole short load, or five seconds of a long one.
    await Promise.race([loaded, context.sleep(5_000)]);
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
    await context.pipeline.startMember(relay);
    await loaded;
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

/** Keys the command-order control commits twice and reorders. */
const reorderedKeys = 30;

/**
 * Negative control for the commit-order checker of the commands topic: keys kept for two seconds.
 * After the load, with the relay stopped, 30 new keys are sent, then sent again once they expired,
 * so each Kafka key holds two committed commands, the second sent only after the first was
 * acknowledged. Behind the relay's back (a test-only fault: the relay takes rows in id order, and
 * nothing in the product renumbers them), the second pass's 30 outbox rows are moved ahead of the
 * first's; then the relay comes back. The checker, comparing the topic it reads itself with the
 * client's history, must report exactly those 30 keys (the duplicate checker reports them too:
 * each ran twice). The load's own keys are sent once; a retry of one after its 2 s could be
 * committed twice too, but in order.
 */
export const commandOrderControl: Scenario = {
  name: 'control-command-order',
  description:
    "NEGATIVE CONTROL: 30 keys committed twice (sent again past their 2 s retention) behind a stopped relay, and the second command's outbox row moved ahead of the first's; the commit-order checker must report exactly those 30",
  seed: 949,
  commands: 100,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  controlFinding: (figures) =>
    figures.outOfOrder === reorderedKeys && figures.keysWithSeveralCommands >= reorderedKeys
      ? undefined
      : `expected ${reorderedKeys} keys out of commit order (of at least ${reorderedKeys} with two commands), found ${figures.outOfOrder} (of ${figures.keysWithSeveralCommands})`,
  settleTimeoutMs: 20_000,
  pipeline: {
    relays: 1,
    dispatchers: 1,
    env: { ingest: { IDEMPOTENCY_RETENTION: '2s', IDEMPOTENCY_CLEANUP_INTERVAL: '1s' } },
  },
  async run(context) {
    await context.load();
    const [relay] = context.pipeline.relays;
    if (!relay) return context.problem('no relay to stop');
    await relay.process.kill();
    const twice = { commands: reorderedKeys, keyPrefix: 'reordered', stopAfterMs: undefined };
    await context.load(twice);
    await context.sleep(4_000);
    await context.load(twice);
    const client = new pg.Client({ connectionString: context.pipeline.databaseUrl });
    await client.connect();
    try {
      // The newer half of each key's rows comes back with a negative id (the column is an identity,
      // so the rows are moved, not updated): the relay's claim walks ids upwards.
      const { rowCount } = await client.query(
        `WITH moved AS (
           DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox WHERE topic = $1 AND published_at IS NULL
                AND payload -> 'data' ->> 'accountId' = $2 ORDER BY id DESC LIMIT $3)
           RETURNING *)
         INSERT INTO outbox (id, topic, kafka_key, payload, headers, created_at) OVERRIDING SYSTEM VALUE
         SELECT -id, topic, kafka_key, payload, headers, created_at FROM moved`,
        [context.pipeline.topics.commands, context.caller.accountId, reorderedKeys],
      );
      context.injected("the second command's outbox row moved ahead of the first's", rowCount ?? 0);
      if (rowCount !== reorderedKeys)
        context.problem(`only ${rowCount} of the ${reorderedKeys} newer rows could be moved`);
    } finally {
      await client.end();
    }
    await context.pipeline.startMember(relay);
  },
};

/** The key the duplicate-call control sent twice, for its finding (one run at a time). */
let plantedDuplicate: string | undefined;

/**
 * Negative control for the duplicate-call checker: after a clean run under `hold`, the test calls
 * the fake provider once more with a key it already sent and the same body, the request a broken
 * dispatcher would repeat (a test-only fault, behind the system's back: nothing in the dispatcher
 * records it). The provider does not deduplicate, so it sends again; the checker, judging from the
 * provider's raw log, must report exactly that key as a duplicate.
 */
export const duplicateCallControl: Scenario = {
  name: 'control-duplicate-call',
  description:
    'NEGATIVE CONTROL: one already-sent message posted to the provider again with its key and body, behind the dispatcher; the checker must report that duplicate',
  seed: 949,
  commands: 100,
  load: { ratePerSecond: 100 },
  expectViolations: true,
  pipeline: { relays: 1, dispatchers: 1 },
  controlFinding(figures, violations) {
    const key = plantedDuplicate;
    if (key === undefined) return 'no duplicate was planted';
    const named = violations.filter((violation) => violation.includes(key));
    const others = violations.filter((violation) => !violation.includes(key));
    if (figures.duplicates !== 1 || named.length === 0 || others.length > 0)
      return `expected exactly one duplicate, of ${key}; found ${figures.duplicates}, ${named.length} violations naming it and ${others.length} others`;
    return undefined;
  },
  async run(context) {
    plantedDuplicate = undefined;
    await context.load();
    const client = new pg.Client({ connectionString: context.pipeline.databaseUrl });
    await client.connect();
    try {
      // A message the provider has sent and whose outcome is recorded: the repeat is not a race.
      let effect: { message_id: string; account_id: string; attempt: number; request: unknown } | undefined;
      for (let tries = 0; effect === undefined && tries < 120; tries++) {
        const { rows } = await client.query(
          `SELECT e.message_id, e.account_id, e.attempt, e.request FROM effects e
            WHERE e.account_id = $1 AND e.state = 'succeeded' ORDER BY e.message_id LIMIT 1`,
          [context.caller.accountId],
        );
        effect = rows[0];
        if (effect === undefined) await context.sleep(500);
      }
      if (effect === undefined) return context.problem('no message was sent to repeat');
      const original = context.provider.calls.find(
        (call) => call.key === effect.message_id && call.outcome === 'sent',
      );
      if (original === undefined) return context.problem(`the provider has no send of ${effect.message_id}`);
      // The http provider's body: the message id, the account and the effect's request as the
      // dispatcher reads it from the row (jsonb's key order), so the very bytes it sent.
      const body = JSON.stringify({
        messageId: effect.message_id,
        accountId: effect.account_id,
        ...(effect.request as object),
      });
      if (createHash('sha256').update(body).digest('hex') !== original.bodySha256)
        context.problem('the repeated body differs from the one the dispatcher sent');
      const response = await fetch(context.provider.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': effect.message_id,
          'exactly-message-id': effect.message_id,
          'exactly-attempt': String(effect.attempt),
        },
        body,
      });
      await response.text();
      plantedDuplicate = effect.message_id;
      context.injected(`${effect.message_id} posted to the provider again (answered ${response.status})`);
    } finally {
      await client.end();
    }
  },
};
