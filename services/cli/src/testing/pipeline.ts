import { randomUUID } from 'node:crypto';
import {
  commandSchemaVersion,
  jsonContentType,
  recordHeaders,
  type SendMessage,
  type SendMessageCommand,
} from '@exactly/contracts';
import { createKafka } from '@exactly/messaging';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { FakeProvider, IngestApi, type Member, Pipeline, type ServiceProcess } from '@exactly/testkit';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { exactly } from './runExactly.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
const kafkaBrokers = process.env.KAFKA_BROKERS ?? '';

export interface Caller {
  accountId: string;
  apiKey: string;
  keyId: string;
}

/** A dispatcher process of a consumer group of its own (its /metrics at `url`). */
export type RunningDispatcher = Member & { group: string };

/**
 * The whole pipeline as real processes for the CLI's tests (the test kit's `Pipeline`): an ingest
 * API and a relay on random topics (created by the relay, 3 partitions), dispatchers started per
 * test with their own consumer group, and a fake HTTP provider in this process that counts every
 * call per key. One relay per test file: a relay sets aside outbox rows of topics it does not know.
 */
export class TestPipeline {
  readonly provider = new FakeProvider({ honoursKeys: true });
  private pipeline!: Pipeline;
  private readonly groups = new Set<string>();
  orm!: Orm;
  kafka!: Kafka;
  admin!: Admin;
  producer!: Producer;
  api!: IngestApi;

  get topic(): string {
    return this.pipeline.topics.commands;
  }

  get eventsTopic(): string {
    return this.pipeline.topics.events;
  }

  get deadLetterTopic(): string {
    return this.pipeline.topics.deadLetters;
  }

  /** The relay process (pause and resume it to hold the outbox). */
  get relay(): ServiceProcess {
    return (this.pipeline.relays[0] as Member).process;
  }

  /** The environment of the CLI (and of the services): this pipeline's topics and API. */
  get env(): Record<string, string> {
    return { ...this.pipeline.topicEnv, EXACTLY_API_URL: this.api.url };
  }

  async start(): Promise<void> {
    this.orm = await openOrm({ databaseUrl, poolSize: 2 });
    this.kafka = createKafka({ brokers: kafkaBrokers.split(','), clientId: 'cli-test' });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ idempotent: true });
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    this.pipeline = new Pipeline({
      prefix: 'cli-test',
      dispatchers: 0,
      providerUrl: await this.provider.listen(),
      providerHonoursKeys: true,
      env: {
        relay: { RELAY_TOPIC_PARTITIONS: '3', RELAY_POLL_MAX: '200ms' },
        ingest: { IDEMPOTENCY_PROFILE: 'default', AUTH_CACHE_TTL: '0' },
        dispatcher: {
          CONSUMER_SESSION_TIMEOUT: '6s',
          CONSUMER_MAX_WAIT: '250ms',
          EFFECT_POLL_INTERVAL: '100ms',
          EFFECT_LEASE: '3s',
          PROVIDER_TIMEOUT: '1s',
        },
      },
    });
    await this.pipeline.start();
    this.api = new IngestApi(this.pipeline.ingest);
  }

  async stop(): Promise<void> {
    await this.pipeline?.stop({ graceMs: 10_000 });
    await Promise.all(
      [...this.groups].map((group) => this.admin?.deleteGroups([group]).catch(() => undefined)),
    );
    await this.provider.close();
    await Promise.all([this.admin?.disconnect(), this.producer?.disconnect(), this.orm?.close()]);
  }

  /** A new account and API key, made by `exactly accounts create`. */
  async caller(): Promise<Caller> {
    const created = await exactly(['accounts', 'create', `cli test ${randomUUID().slice(0, 8)}`, '--json']);
    return created.json;
  }

  /** `exactly <args>` in this process, with the pipeline's topics and API. */
  exactly(args: readonly string[], env: Record<string, string> = {}) {
    return exactly(args, { ...this.env, ...env });
  }

  /** A dispatcher process of `group` (a new random group by default), once it consumes. */
  async startDispatcher(group = `cli-test-${randomUUID().slice(0, 12)}`): Promise<RunningDispatcher> {
    this.groups.add(group);
    return Object.assign(await this.pipeline.addDispatcher({ CONSUMER_GROUP: group }), { group });
  }

  async count(sql: string, parameters: readonly unknown[] = []): Promise<number> {
    const { rows } = await runSql<{ count: string }>(this.orm.em.fork(), sql, parameters);
    return Number(rows[0]?.count ?? 0);
  }

  /** Kafka's committed offsets of a group on the commands topic, by partition (-1: none). */
  async committed(group: string, topic = this.topic): Promise<Record<number, number>> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Object.fromEntries(
      (offsets?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]),
    );
  }

  /** The offsets PostgreSQL stores for a group on the commands topic, by partition. */
  async stored(group: string, topic = this.topic): Promise<Record<number, number>> {
    const { rows } = await runSql<{ partition: number; next_offset: string }>(
      this.orm.em.fork(),
      'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
      [group, topic],
    );
    return Object.fromEntries(rows.map((row) => [row.partition, Number(row.next_offset)]));
  }

  /** The end of each partition of the commands topic. */
  async ends(topic = this.topic): Promise<Record<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  }

  /** Produces a well-formed command straight to the commands topic, as a relay would, for a message that may not exist. */
  async produceCommand(accountId: string, messageId: string, message: SendMessage): Promise<void> {
    const idempotencyKey = `raw-${randomUUID()}`;
    const command: SendMessageCommand = {
      type: 'SendMessage',
      data: { messageId, accountId, message, acceptedAt: new Date().toISOString() },
      metadata: { schemaVersion: commandSchemaVersion, idempotencyKey },
    };
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: `${accountId}/${idempotencyKey}`,
          value: JSON.stringify(command),
          headers: {
            [recordHeaders.messageId]: messageId,
            [recordHeaders.accountId]: accountId,
            [recordHeaders.schemaVersion]: String(commandSchemaVersion),
            [recordHeaders.contentType]: jsonContentType,
          },
        },
      ],
    });
  }

  /** How many provider calls carried each of these keys (the dispatcher's key is the message id). */
  callsFor(messageIds: readonly string[]): number[] {
    const perKey = this.provider.callsPerKey();
    return messageIds.map((id) => perKey.get(id) ?? 0);
  }
}
