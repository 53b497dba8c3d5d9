import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './freePort.js';
import { RunningService } from './startService.js';

export type MemberKind = 'ingest' | 'relay' | 'dispatcher';

const serviceOf: Record<MemberKind, string> = {
  ingest: 'ingest-api',
  relay: 'relay',
  dispatcher: 'dispatcher',
};

export interface PipelineOptions {
  /** Default: DATABASE_URL. */
  databaseUrl?: string;
  /** Default: KAFKA_BROKERS. */
  kafkaBrokers?: string[];
  /** Starts topic and consumer group names (default `pipeline`); a run id follows. */
  prefix?: string;
  /** Names topics and the consumer group uniquely (random by default), so runs never see each other's records. */
  runId?: string;
  /** How many of each `start()` starts: relays 1, dispatchers 1, one ingest API unless `ingest: false`. */
  relays?: number;
  dispatchers?: number;
  ingest?: boolean;
  /** A provider endpoint: every channel of every dispatcher sends through the http provider to it. */
  providerUrl?: string;
  /** Whether that provider honours idempotency keys (`HTTP_PROVIDER_HONOURS_KEY`, default false). */
  providerHonoursKeys?: boolean;
  /** Extra environment per kind (a profile, shorter timeouts...). */
  env?: Partial<Record<MemberKind, Record<string, string>>>;
  /** Extra environment of one member only (clock skew on one service, say). */
  memberEnv?: (kind: MemberKind, index: number) => Record<string, string>;
  /** The process group id of one member (a one-way partition cuts that group off with iptables). */
  memberGid?: (kind: MemberKind, index: number) => number | undefined;
  /** How long a member may take to answer /readyz (default 60 s). */
  readyTimeoutMs?: number;
}

/** One process of a pipeline: a service of a kind, the index-th of its kind. */
export class Member extends RunningService {
  readonly kind: MemberKind;
  readonly index: number;

  constructor(
    kind: MemberKind,
    index: number,
    port: number,
    env: Record<string, string>,
    options: { readyTimeoutMs?: number | undefined; gid?: number | undefined } = {},
  ) {
    super(serviceOf[kind], port, {
      name: `${kind}-${index}`,
      env,
      portIsOurs: true,
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    this.kind = kind;
    this.index = index;
  }
}

/**
 * The pipeline as separate processes, as deployed: ingest API, relays and dispatchers (one
 * consumer group) on topics of their own, against a real PostgreSQL and Kafka. The one launcher
 * of the tests, the fault suite and the benchmarks: each member can be stopped, killed, paused
 * and started again with the same port and environment.
 */
export class Pipeline {
  readonly topics: { commands: string; events: string; deadLetters: string };
  readonly consumerGroup: string;
  ingest!: Member;
  readonly relays: Member[] = [];
  readonly dispatchers: Member[] = [];
  protected readonly options: PipelineOptions;

  constructor(options: PipelineOptions = {}) {
    this.options = options;
    const prefix = options.prefix ?? 'pipeline';
    const runId = options.runId ?? randomBytes(4).toString('hex');
    this.topics = {
      commands: `${prefix}-${runId}.commands`,
      events: `${prefix}-${runId}.events`,
      deadLetters: `${prefix}-${runId}.dead-letters`,
    };
    this.consumerGroup = `${prefix}-${runId}`;
  }

  get baseUrl(): string {
    return this.ingest.url;
  }

  get databaseUrl(): string {
    return this.options.databaseUrl ?? process.env.DATABASE_URL ?? '';
  }

  get kafkaBrokers(): string[] {
    return this.options.kafkaBrokers ?? (process.env.KAFKA_BROKERS ?? '').split(',');
  }

  /** The variables naming this pipeline's topics, as every service (and the CLI) reads them. */
  get topicEnv(): Record<string, string> {
    return {
      COMMANDS_TOPIC: this.topics.commands,
      MESSAGE_EVENTS_TOPIC: this.topics.events,
      DEAD_LETTER_TOPIC: this.topics.deadLetters,
    };
  }

  /** A member of `kind` with this pipeline's environment and `extra` on top (not started). */
  protected async member(
    kind: MemberKind,
    index: number,
    extra: Record<string, string> = {},
  ): Promise<Member> {
    const provider: Record<string, string> =
      kind === 'dispatcher' && this.options.providerUrl !== undefined
        ? {
            PROVIDER_EMAIL: 'http',
            PROVIDER_SMS: 'http',
            PROVIDER_VOICE: 'http',
            HTTP_PROVIDER_URL: this.options.providerUrl,
            HTTP_PROVIDER_HONOURS_KEY: String(this.options.providerHonoursKeys ?? false),
          }
        : {};
    const env = {
      DATABASE_URL: this.databaseUrl,
      KAFKA_BROKERS: this.kafkaBrokers.join(','),
      ...this.topicEnv,
      LOG_LEVEL: 'warn',
      ...(kind === 'dispatcher' ? { CONSUMER_GROUP: this.consumerGroup } : {}),
      ...(kind === 'dispatcher' ? { WEBHOOKS_CONSUMER_GROUP: `${this.consumerGroup}-webhooks` } : {}),
      // Test runs start every profile against one database: each switches on purpose.
      ...(kind === 'ingest' ? { IDEMPOTENCY_PROFILE_SWITCH: 'true' } : {}),
      ...provider,
      ...this.options.env?.[kind],
      ...this.options.memberEnv?.(kind, index),
      ...extra,
    };
    return new Member(kind, index, await freePort(), env, {
      readyTimeoutMs: this.options.readyTimeoutMs,
      gid: this.options.memberGid?.(kind, index),
    });
  }

  /** Starts every member and waits until each is ready; relays first (they create the topics). */
  async start(): Promise<void> {
    for (let i = 0; i < (this.options.relays ?? 1); i++) this.relays.push(await this.member('relay', i));
    for (let i = 0; i < (this.options.dispatchers ?? 1); i++)
      this.dispatchers.push(await this.member('dispatcher', i));
    if (this.options.ingest !== false) this.ingest = await this.member('ingest', 0);
    await Promise.all(this.relays.map((member) => member.start()));
    await Promise.all(
      [...this.dispatchers, ...(this.ingest ? [this.ingest] : [])].map((member) => member.start()),
    );
  }

  /** One more dispatcher, started and ready (`extra` may give it a consumer group of its own). */
  async addDispatcher(extra: Record<string, string> = {}): Promise<Member> {
    const member = await this.member('dispatcher', this.dispatchers.length, extra);
    this.dispatchers.push(member);
    return member.start();
  }

  async startMember(member: Member, timeoutMs?: number): Promise<void> {
    await member.start(timeoutMs);
  }

  /** kill -9, then (after `restartAfterMs`) start again with the same port and environment. */
  async crash(member: Member, restartAfterMs = 0): Promise<void> {
    await member.kill();
    if (restartAfterMs > 0) await sleep(restartAfterMs);
    await member.start();
  }

  /** SIGSTOP for `ms`, then SIGCONT: the process neither runs nor dies (a long GC, a frozen VM). */
  async freeze(member: Member, ms: number): Promise<void> {
    member.process.pause();
    try {
      await sleep(ms);
    } finally {
      member.process.resume();
    }
  }

  all(): Member[] {
    return [this.ingest, ...this.relays, ...this.dispatchers].filter(Boolean);
  }

  /** Every member that is not running is started again (after a scenario's last fault). */
  async restartStopped(): Promise<void> {
    await Promise.all(this.all().map((member) => (member.process.running ? undefined : member.start())));
  }

  /** Stops every process (SIGTERM, SIGKILL after a grace) and deletes the topics (unless kept for a post-mortem). */
  async stop({ keepTopics = false, graceMs = 5_000 } = {}): Promise<void> {
    await Promise.all(this.all().map((member) => member.stop(graceMs)));
    if (keepTopics) return;
    const admin = new Kafka({
      brokers: this.kafkaBrokers,
      clientId: 'pipeline-cleanup',
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const ours = Object.values(this.topics).filter((topic) => existing.has(topic));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 10_000 });
    } catch {
      // Topics left behind are named by run and harmless; a broker down at the end must not hide a verdict.
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** What every process printed, for a failed test's report. */
  logs(): string {
    return this.all()
      .map((member) => `===== ${member.name}\n${member.process.logs}`)
      .join('\n');
  }
}
