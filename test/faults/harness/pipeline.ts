import { randomBytes } from 'node:crypto';
import { createKafka } from '@exactly/messaging';
import { issueApiKey, newId, openOrm, runSql } from '@exactly/persistence';
import { type Caller, freePort, ServiceProcess, waitForHttp } from '@exactly/testkit';

export type MemberKind = 'ingest' | 'relay' | 'dispatcher';

/** The dispatcher's policy after an ambiguous provider call (`HTTP_ON_AMBIGUOUS`). */
export type AmbiguityPolicy = 'hold' | 'retry';

export interface PipelineOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** The fake provider's endpoint: every channel sends through the http provider to it. */
  providerUrl: string;
  /**
   * What the dispatchers do after an ambiguous provider call (default `hold`, for a provider that
   * ignores idempotency keys); `retry` also declares the provider as honouring keys
   * (`HTTP_PROVIDER_HONOURS_KEY=true`), so give it a fake provider that does.
   */
  onAmbiguous?: AmbiguityPolicy;
  relays?: number;
  dispatchers?: number;
  /** Extra environment per service kind (a profile, shorter timeouts...). */
  env?: Partial<Record<MemberKind, Record<string, string>>>;
  /** Extra environment of one member only (clock skew on one service, say). */
  memberEnv?: (kind: MemberKind, index: number) => Record<string, string>;
  /** The process group id of one member (a one-way partition cuts that group off with iptables). */
  memberGid?: (kind: MemberKind, index: number) => number | undefined;
  /** Names topics and the consumer group uniquely, so scenarios never see each other's records. */
  runId?: string;
}

export interface Member {
  kind: MemberKind;
  index: number;
  process: ServiceProcess;
  port: number;
}

/**
 * Settings that make recovery fit in a scenario of seconds rather than minutes: a dead
 * dispatcher's partitions move after 6 s (the broker's smallest session timeout), a call left
 * in flight by a crash is resumed after 5 s, a crashed relay's shards move after 4 s. They
 * shorten waits; they change no rule the services keep.
 */
const fastRecovery: Record<MemberKind, Record<string, string>> = {
  ingest: { IDEMPOTENCY_LEASE: '5s', SHUTDOWN_TIMEOUT: '3s' },
  relay: { RELAY_LEASE_TTL: '4s', RELAY_RETRY_MAX: '1s', RELAY_POLL_MAX: '250ms' },
  dispatcher: {
    CONSUMER_SESSION_TIMEOUT: '6s',
    CONSUMER_MAX_WAIT: '250ms',
    BATCH_RETRY_MAX_DELAY: '1s',
    EFFECT_LEASE: '5s',
    PROVIDER_TIMEOUT: '2s',
    EFFECT_POLL_INTERVAL: '250ms',
    EFFECT_MAX_ATTEMPTS: '20',
    RETRY_BASE_DELAY: '100ms',
    RETRY_MAX_DELAY: '1s',
  },
};

const entries: Record<MemberKind, string> = {
  ingest: 'services/ingest-api/dist/main.js',
  relay: 'services/relay/dist/main.js',
  dispatcher: 'services/dispatcher/dist/main.js',
};

/**
 * The whole pipeline as separate processes, as deployed: one ingest API, N relays and M
 * dispatchers (one consumer group) against a real PostgreSQL and Kafka. Each can be killed,
 * paused and restarted; restarts keep the member's port and environment.
 */
export class Pipeline {
  readonly topics: { commands: string; events: string; deadLetters: string };
  readonly consumerGroup: string;
  ingest!: Member;
  readonly relays: Member[] = [];
  readonly dispatchers: Member[] = [];
  private readonly options: PipelineOptions;

  constructor(options: PipelineOptions) {
    this.options = options;
    const runId = options.runId ?? randomBytes(4).toString('hex');
    this.topics = {
      commands: `faults-${runId}.commands`,
      events: `faults-${runId}.events`,
      deadLetters: `faults-${runId}.dead-letters`,
    };
    this.consumerGroup = `faults-${runId}`;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ingest.port}`;
  }

  get databaseUrl(): string {
    return this.options.databaseUrl;
  }

  get kafkaBrokers(): string[] {
    return this.options.kafkaBrokers;
  }

  get onAmbiguous(): AmbiguityPolicy {
    return this.options.onAmbiguous ?? 'hold';
  }

  private async member(kind: MemberKind, index: number): Promise<Member> {
    const port = await freePort();
    const own: Record<string, string> =
      kind === 'dispatcher'
        ? {
            CONSUMER_GROUP: this.consumerGroup,
            PROVIDER_EMAIL: 'http',
            PROVIDER_SMS: 'http',
            PROVIDER_VOICE: 'http',
            HTTP_PROVIDER_URL: this.options.providerUrl,
            HTTP_PROVIDER_HONOURS_KEY: String(this.onAmbiguous === 'retry'),
            HTTP_ON_AMBIGUOUS: this.onAmbiguous,
          }
        : {};
    const gid = this.options.memberGid?.(kind, index);
    const process = new ServiceProcess({
      entry: entries[kind],
      name: `${kind}-${index}`,
      ...(gid === undefined ? {} : { gid }),
      env: {
        DATABASE_URL: this.options.databaseUrl,
        KAFKA_BROKERS: this.options.kafkaBrokers.join(','),
        COMMANDS_TOPIC: this.topics.commands,
        MESSAGE_EVENTS_TOPIC: this.topics.events,
        DEAD_LETTER_TOPIC: this.topics.deadLetters,
        LOG_LEVEL: 'warn',
        PORT: String(port),
        ...fastRecovery[kind],
        ...own,
        ...this.options.env?.[kind],
        ...this.options.memberEnv?.(kind, index),
      },
    });
    return { kind, index, process, port };
  }

  /** Starts every process and waits until each is ready; relays first (they create the topics). */
  async start(): Promise<void> {
    for (let i = 0; i < (this.options.relays ?? 2); i++) this.relays.push(await this.member('relay', i));
    for (let i = 0; i < (this.options.dispatchers ?? 3); i++)
      this.dispatchers.push(await this.member('dispatcher', i));
    this.ingest = await this.member('ingest', 0);
    await Promise.all(this.relays.map((member) => this.startMember(member)));
    await Promise.all([...this.dispatchers, this.ingest].map((member) => this.startMember(member)));
  }

  async startMember(member: Member, timeoutMs = 60_000): Promise<void> {
    if (!member.process.running) member.process.start();
    try {
      await waitForHttp(`http://127.0.0.1:${member.port}/readyz`, timeoutMs);
    } catch (error) {
      throw new Error(`${member.process.name} did not get ready:\n${member.process.logs.slice(-4_000)}`, {
        cause: error,
      });
    }
  }

  /** kill -9, then (after `restartAfterMs`) start again with the same port and environment. */
  async crash(member: Member, restartAfterMs = 0): Promise<void> {
    await member.process.kill();
    if (restartAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, restartAfterMs));
    await this.startMember(member);
  }

  /** SIGSTOP for `ms`, then SIGCONT: the process neither runs nor dies (a long GC, a frozen VM). */
  async freeze(member: Member, ms: number): Promise<void> {
    member.process.pause();
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      member.process.resume();
    }
  }

  all(): Member[] {
    return [this.ingest, ...this.relays, ...this.dispatchers].filter(Boolean);
  }

  /** Every member that is not running is started again (after a scenario's last fault). */
  async restartStopped(): Promise<void> {
    await Promise.all(
      this.all().map((member) => (member.process.running ? undefined : this.startMember(member))),
    );
  }

  /**
   * A new account with an API key, written straight into this pipeline's database (the
   * persistence package's own functions, as the CLI uses them), so a scenario depends on no
   * command-line output format.
   */
  async createAccount(name: string): Promise<Caller> {
    const orm = await openOrm({ databaseUrl: this.options.databaseUrl, poolSize: 1 });
    try {
      const accountId = newId('acc');
      await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, name]);
      const { apiKey, keyId } = await issueApiKey(orm.em.fork(), accountId);
      return { accountId, apiKey, keyId };
    } finally {
      await orm.close();
    }
  }

  /** Stops every process (SIGTERM, SIGKILL after a grace) and deletes the run's topics (unless kept for a post-mortem). */
  async stop({ keepTopics = false } = {}): Promise<void> {
    await Promise.all(this.all().map((member) => member.process.stop(5_000)));
    if (keepTopics) return;
    const admin = createKafka({ brokers: this.options.kafkaBrokers, clientId: 'faults-cleanup' }).admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const ours = Object.values(this.topics).filter((topic) => existing.has(topic));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 10_000 });
    } catch {
      // Topics left behind are named by run and harmless; a broker down at the end must not hide the verdict.
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** What every process printed, for a failed scenario's report. */
  logs(): string {
    return this.all()
      .map((member) => `===== ${member.process.name}\n${member.process.logs}`)
      .join('\n');
  }
}
