import { randomBytes } from 'node:crypto';
import { type Caller, createAccount, freePort, ServiceProcess, waitForHttp } from '@exactly/testkit';

export interface PipelineOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** The fake provider's endpoint: every channel sends through the http provider to it. */
  providerUrl: string;
  relays?: number;
  dispatchers?: number;
  /** Extra environment per service kind (a profile, shorter timeouts...). */
  env?: {
    ingest?: Record<string, string>;
    relay?: Record<string, string>;
    dispatcher?: Record<string, string>;
  };
  /** Names topics and the consumer group uniquely, so scenarios never see each other's records. */
  runId?: string;
}

interface Member {
  process: ServiceProcess;
  port: number;
}

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

  private sharedEnv(): Record<string, string> {
    return {
      DATABASE_URL: this.options.databaseUrl,
      KAFKA_BROKERS: this.options.kafkaBrokers.join(','),
      COMMANDS_TOPIC: this.topics.commands,
      MESSAGE_EVENTS_TOPIC: this.topics.events,
      DEAD_LETTER_TOPIC: this.topics.deadLetters,
      LOG_LEVEL: 'warn',
    };
  }

  private async member(kind: 'ingest' | 'relay' | 'dispatcher', index: number): Promise<Member> {
    const port = await freePort();
    const entry = {
      ingest: 'services/ingest-api/dist/main.js',
      relay: 'services/relay/dist/main.js',
      dispatcher: 'services/dispatcher/dist/main.js',
    }[kind];
    const own: Record<string, string> =
      kind === 'dispatcher'
        ? {
            CONSUMER_GROUP: this.consumerGroup,
            PROVIDER_EMAIL: 'http',
            PROVIDER_SMS: 'http',
            PROVIDER_VOICE: 'http',
            HTTP_PROVIDER_URL: this.options.providerUrl,
          }
        : kind === 'relay'
          ? { RELAY_ID: `relay-${index}` }
          : {};
    const process = new ServiceProcess({
      entry,
      name: `${kind}-${index}`,
      env: { ...this.sharedEnv(), PORT: String(port), ...own, ...this.options.env?.[kind] },
    });
    return { process, port };
  }

  /** Starts every process and waits until each is ready; relays first (they create the topics). */
  async start(): Promise<void> {
    for (let i = 0; i < (this.options.relays ?? 2); i++) this.relays.push(await this.member('relay', i));
    for (let i = 0; i < (this.options.dispatchers ?? 3); i++)
      this.dispatchers.push(await this.member('dispatcher', i));
    this.ingest = await this.member('ingest', 0);
    for (const member of this.relays) await this.startMember(member);
    await Promise.all(this.dispatchers.map((member) => this.startMember(member)));
    await this.startMember(this.ingest);
  }

  async startMember(member: Member): Promise<void> {
    if (!member.process.running) member.process.start();
    await waitForHttp(`http://127.0.0.1:${member.port}/readyz`, 60_000);
  }

  /** kill -9, then start again with the same port and environment. */
  async crash(member: Member, restartAfterMs = 0): Promise<void> {
    await member.process.kill();
    if (restartAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, restartAfterMs));
    await this.startMember(member);
  }

  all(): Member[] {
    return [this.ingest, ...this.relays, ...this.dispatchers].filter(Boolean);
  }

  async createAccount(name: string): Promise<Caller> {
    return createAccount(name);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((member) => member.process.stop()));
  }

  /** What every process printed, for a failed scenario's report. */
  logs(): string {
    return this.all()
      .map((member) => `===== ${member.process.name}\n${member.process.logs}`)
      .join('\n');
  }
}
