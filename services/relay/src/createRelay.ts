import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@exactly/errors';
import { type EnsuredTopics, ensureTopics, isKafkaStartUpRace, type TopicSpec } from '@exactly/messaging';
import { type Logger, startOpsServer } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { RelayConfig } from './config.js';
import { KafkaPublisher, type NewKafka } from './kafkaPublisher.js';
import { OutboxRelay } from './outboxRelay.js';
import { OutboxStore } from './outboxStore.js';
import { OutboxWakeup } from './outboxWakeup.js';
import { createRelayMetrics } from './relayMetrics.js';
import { ShardLeases } from './shardLeases.js';

export interface RelayDependencies {
  config: RelayConfig;
  orm: Orm;
  /** A kafkajs client; with a socket factory for the producer, whose connections a fenced send resets. */
  newKafka: (socketFactory?: Parameters<NewKafka>[0]) => ReturnType<NewKafka>;
  /** A new, unconnected PostgreSQL client for the LISTEN connection. */
  newListenClient: () => pg.Client;
  logger: Logger;
  registry: Registry;
}

export interface Relay {
  readonly relayId: string;
  /**
   * Starts the ops server (/healthz, /readyz, /metrics) and returns its address; topics, leases
   * and publishing start in the background, retrying until Kafka and PostgreSQL answer.
   */
  start(): Promise<{ opsUrl: string }>;
  /** Finishes the batch in hand, marks it, hands the shard leases back and closes what it opened. */
  stop(): Promise<void>;
  /** Undefined when ready, otherwise what is not (what /readyz answers). */
  readiness(): Promise<string | undefined>;
}

const checkTimeoutMs = 2_000;
/** How many "not ready yet" answers a start waits out before they count as errors. */
const startUpRaceRetries = 10;

/** Builds a relay from its dependencies; nothing runs until `start`. */
export function createRelay({
  config,
  orm,
  newKafka,
  newListenClient,
  logger,
  registry,
}: RelayDependencies): Relay {
  const relayId = config.RELAY_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = logger.child({ relayId });
  const store = new OutboxStore(orm, config.MESSAGE_EVENTS_TOPIC);
  const metrics = createRelayMetrics(registry, () => store.stats());
  let relay: OutboxRelay | undefined;
  const leases = new ShardLeases({
    orm,
    relayId,
    ttlMs: config.RELAY_LEASE_TTL,
    logger: log,
    onTakeOver: async (shards) => relay?.takeOver(shards),
  });
  const publishers = Array.from(
    { length: config.RELAY_PRODUCERS },
    () => new KafkaPublisher(newKafka, (reason) => metrics.producersRetired.inc({ reason })),
  );
  const wakeup = new OutboxWakeup({
    newClient: newListenClient,
    logger: log,
    retryMinMs: config.RELAY_RETRY_MIN,
    retryMaxMs: config.RELAY_RETRY_MAX,
    onError: () => metrics.errors.inc({ kind: 'listen' }),
  });
  const admin: Admin = newKafka().admin();
  const stopping = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  let boot: Promise<void> | undefined;
  let bootProblem: string | undefined = 'creating the topics';
  let kafkaCheck: Promise<string | undefined> | undefined;
  let cleaning = false;

  const topicSpecs: TopicSpec[] = [
    config.COMMANDS_TOPIC,
    config.MESSAGE_EVENTS_TOPIC,
    config.DEAD_LETTER_TOPIC,
  ].map((name) => ({
    name,
    partitions: config.RELAY_TOPIC_PARTITIONS,
    replicationFactor: config.RELAY_TOPIC_REPLICATION_FACTOR,
    retentionMs: config.RELAY_TOPIC_RETENTION,
    maxMessageBytes: config.RELAY_TOPIC_MAX_MESSAGE_BYTES,
    minInsyncReplicas: config.RELAY_TOPIC_MIN_INSYNC_REPLICAS,
  }));

  async function prepareTopics(): Promise<EnsuredTopics> {
    for (let failures = 0; ; failures++) {
      try {
        await admin.connect();
        const ensured = await ensureTopics(admin, topicSpecs);
        if (ensured.created.length > 0) log.info({ topics: ensured.created }, 'created topics');
        for (const weakness of ensured.weaker) {
          log.warn(weakness, 'an existing topic has a weaker setting than configured (left as it is)');
        }
        return ensured;
      } catch (error) {
        metrics.errors.inc({ kind: 'topics' });
        bootProblem = `cannot create or describe the topics: ${(error as Error).message}`;
        // A broker that is still electing leaders is expected at a clean start: said once, quietly.
        if (isKafkaStartUpRace(error) && failures < startUpRaceRetries) {
          log[failures === 0 ? 'info' : 'debug'](
            { err: error },
            'Kafka is not ready for the topics yet; retrying',
          );
        } else {
          log.error({ err: error }, 'cannot create or describe the topics; retrying');
        }
        await sleep(
          backoffDelay(failures, {
            initialDelayMs: config.RELAY_RETRY_MIN,
            maxDelayMs: config.RELAY_RETRY_MAX,
            jitter: 'equal',
          }),
          undefined,
          {
            signal: stopping.signal,
          },
        );
      }
    }
  }

  async function maintainLeases(): Promise<void> {
    if (stopping.signal.aborted || !relay) return;
    const before = leases.heldShards.join(',');
    try {
      await leases.maintain(relay.hasInFlight);
    } catch (error) {
      metrics.errors.inc({ kind: 'leases' });
      log.warn({ err: error }, 'renewing shard leases failed; retrying at the next round');
    }
    metrics.leasedShards.set(leases.heldShards.length);
    if (leases.heldShards.join(',') !== before) wakeup.notify();
  }

  async function cleanUp(): Promise<void> {
    if (cleaning || stopping.signal.aborted) return;
    cleaning = true;
    try {
      // Bounded: at most 20 batches a round; what is left waits for the next round.
      for (let round = 0; round < 20 && !stopping.signal.aborted; round++) {
        const deleted = await store.deletePublished(
          config.RELAY_PUBLISHED_RETENTION,
          config.RELAY_CLEANUP_BATCH_SIZE,
        );
        metrics.deleted.inc(deleted);
        if (deleted < config.RELAY_CLEANUP_BATCH_SIZE) break;
      }
      await relay?.deleteSettledClaims();
    } catch (error) {
      metrics.errors.inc({ kind: 'cleanup' });
      log.warn({ err: error }, 'deleting published outbox rows failed; retrying at the next round');
    } finally {
      cleaning = false;
    }
  }

  async function run(): Promise<void> {
    const ensured = await prepareTopics();
    const maxMessageBytes = new Map(ensured.settings.map((topic) => [topic.name, topic.maxMessageBytes]));
    relay = new OutboxRelay({
      relayId,
      store,
      leases,
      publishers,
      wakeup,
      metrics,
      logger: log,
      maxMessageBytes,
      batchSize: config.RELAY_BATCH_SIZE,
      pollMinMs: config.RELAY_POLL_MIN,
      pollMaxMs: config.RELAY_POLL_MAX,
      retryMinMs: config.RELAY_RETRY_MIN,
      retryMaxMs: config.RELAY_RETRY_MAX,
      deleteOnPublish: config.RELAY_PUBLISHED_RETENTION === 0,
    });
    wakeup.start();
    await maintainLeases();
    timers.push(setInterval(() => void maintainLeases(), Math.max(100, config.RELAY_LEASE_TTL / 5)));
    timers.push(setInterval(() => void cleanUp(), config.RELAY_CLEANUP_INTERVAL));
    relay.start();
    bootProblem = undefined;
    log.info({ topics: ensured.settings }, 'relay publishing');
  }

  function checkKafka(): Promise<string | undefined> {
    kafkaCheck ??= admin
      .describeCluster()
      .then(
        () => undefined,
        (error: Error) => `kafka unreachable: ${error.message}`,
      )
      .finally(() => {
        kafkaCheck = undefined;
      });
    return withTimeout(kafkaCheck, 'kafka unreachable: no answer in 2 s');
  }

  async function readiness(): Promise<string | undefined> {
    if (bootProblem) return bootProblem;
    const database = await withTimeout(
      store.ping().then(
        () => undefined,
        (error: Error) => `database unreachable: ${error.message}`,
      ),
      'database unreachable: no answer in 2 s',
    );
    return database ?? (await checkKafka());
  }

  return {
    relayId,
    readiness,
    async start() {
      ops = await startOpsServer({
        host: config.HOST,
        port: config.PORT,
        logger: log,
        registry,
        readiness,
      });
      const address = ops.server.address();
      const port = typeof address === 'object' && address ? address.port : config.PORT;
      boot = run().catch((error: unknown) => {
        if (!stopping.signal.aborted) log.error({ err: error }, 'the relay failed to start');
      });
      return { opsUrl: `http://${config.HOST}:${port}` };
    },
    async stop() {
      stopping.abort();
      for (const timer of timers) clearInterval(timer);
      await boot;
      await relay?.stop();
      await leases
        .releaseAll()
        .catch((error: unknown) => log.warn({ err: error }, 'handing back leases failed'));
      await wakeup.stop();
      await Promise.all(publishers.map((publisher) => publisher.close()));
      await admin.disconnect().catch(() => {});
      await ops?.close();
    },
  };
}

async function withTimeout(work: Promise<string | undefined>, timeoutMessage: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(timeoutMessage), checkTimeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
