import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@exactly/messaging';
import { createLogger, createMetricsRegistry } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import { createTestTopics } from '@exactly/testkit';
import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { readDispatcherConfig } from '../config.js';
import { createDispatcher, type Dispatcher } from '../createDispatcher.js';

export const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
export const databaseUrl = process.env.DATABASE_URL ?? '';

export function testKafka(clientId = 'dispatcher-test'): Kafka {
  return createKafka({ brokers, clientId });
}

const logFiles: string[] = [];

/** Where a test dispatcher's log provider writes (removed by `removeTestFiles`). */
function logFileFor(topic: string): string {
  const file = join(tmpdir(), 'exactly-dispatcher-test', `${topic}.log`);
  logFiles.push(file);
  return file;
}

/** Removes the log provider files of this file's tests. */
export async function removeTestFiles(): Promise<void> {
  await Promise.all(logFiles.splice(0).map((file) => rm(file, { force: true })));
}

/** A random topic (and consumer group name) for one test. */
export async function createTestTopic(
  admin: Admin,
  partitions = 3,
): Promise<{ topic: string; group: string }> {
  const suffix = randomUUID().slice(0, 12);
  const topic = `dispatcher-test-${suffix}`;
  await createTestTopics(admin, [{ topic, numPartitions: partitions }]);
  return { topic, group: `dispatcher-test-${suffix}` };
}

/**
 * The Kafka side of a dispatcher test file: an admin and an idempotent producer connected for the
 * file, topics of each test's own, deleted after the file with the log provider's files. Call it
 * at the top of the file (or of a describe): it registers the beforeAll and afterAll.
 */
export function dispatcherTestKafka() {
  const kafka = testKafka();
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  const topics: string[] = [];
  beforeAll(async () => {
    await Promise.all([admin.connect(), producer.connect()]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => {});
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await removeTestFiles();
  });
  return {
    admin,
    producer,
    /** A random topic (and consumer group name) of this test's own. */
    async topicForThisTest(partitions = 3): Promise<{ topic: string; group: string }> {
      const created = await createTestTopic(admin, partitions);
      topics.push(created.topic);
      return created;
    },
  };
}

/** The environment a test dispatcher runs with: quick leases, polls and retries. */
export function testEnvironment(topic: string, group: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    COMMANDS_TOPIC: topic,
    MESSAGE_EVENTS_TOPIC: `${topic}-events`,
    DEAD_LETTER_TOPIC: `${topic}-dead-letters`,
    CONSUMER_GROUP: group,
    CONSUMER_SESSION_TIMEOUT: '10s',
    CONSUMER_MAX_WAIT: '250ms',
    EFFECT_POLL_INTERVAL: '100ms',
    EFFECT_LEASE: '3s',
    PROVIDER_TIMEOUT: '1s',
    RETRY_BASE_DELAY: '50ms',
    RETRY_MAX_DELAY: '200ms',
    BATCH_RETRY_MAX_DELAY: '500ms',
    LOG_PROVIDER_FILE: logFileFor(topic),
    // Webhook tests switch delivery on with a group of their own.
    WEBHOOKS_ENABLED: 'false',
    ...extra,
  };
}

export interface RunningDispatcher {
  dispatcher: Dispatcher;
  registry: Registry;
  stop(): Promise<void>;
}

/** Runs a dispatcher in this process against the test's topic and database, once it consumes. */
export async function startTestDispatcher(orm: Orm, env: Record<string, string>): Promise<RunningDispatcher> {
  const config = readDispatcherConfig(env);
  const registry = createMetricsRegistry('dispatcher-test');
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'dispatcher-test' });
  const dispatcher = createDispatcher({
    config,
    orm,
    kafka,
    logger: createLogger('dispatcher-test', process.env.LOG_LEVEL ?? 'silent'),
    registry,
  });
  await dispatcher.start();
  const deadline = Date.now() + 30_000;
  while ((await dispatcher.readiness()) !== undefined) {
    if (Date.now() > deadline) throw new Error(`dispatcher not ready: ${await dispatcher.readiness()}`);
    await sleep(50);
  }
  return { dispatcher, registry, stop: () => dispatcher.stop() };
}
