import { issueApiKey, newId, openOrm, runSql } from '@exactly/persistence';
import {
  type Caller,
  type MemberKind,
  Pipeline as ProcessPipeline,
  type PipelineOptions as ProcessPipelineOptions,
} from '@exactly/testkit';

export type { Member, MemberKind } from '@exactly/testkit';

/** The dispatcher's policy after an ambiguous provider call (`HTTP_ON_AMBIGUOUS`). */
export type AmbiguityPolicy = 'hold' | 'retry';

export interface PipelineOptions
  extends Omit<
    ProcessPipelineOptions,
    'databaseUrl' | 'kafkaBrokers' | 'providerUrl' | 'providerHonoursKeys'
  > {
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
  /** false: the services' default timeouts (long mode), not the shortened ones below. */
  fastRecovery?: boolean;
}

/**
 * The dispatchers' EFFECT_MAX_ATTEMPTS unless the fast recovery settings or a scenario set their
 * own: set explicitly, so the checker knows it without repeating the dispatcher's default.
 */
const effectMaxAttempts = '5';

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

/**
 * The whole pipeline as separate processes, as deployed (the test kit's launcher): one ingest
 * API, N relays and M dispatchers (one consumer group) against a real PostgreSQL and Kafka, with
 * the fault suite's wiring on top: fast recovery settings, the ambiguity policy, and accounts
 * written straight into the database. Each member can be killed, paused and restarted.
 */
export class Pipeline extends ProcessPipeline {
  private readonly ambiguity: AmbiguityPolicy;

  constructor(options: PipelineOptions) {
    const onAmbiguous = options.onAmbiguous ?? 'hold';
    const kinds: MemberKind[] = ['ingest', 'relay', 'dispatcher'];
    const env = Object.fromEntries(
      kinds.map((kind) => [
        kind,
        {
          ...(kind === 'dispatcher' ? { EFFECT_MAX_ATTEMPTS: effectMaxAttempts } : {}),
          ...(options.fastRecovery === false ? {} : fastRecovery[kind]),
          ...(kind === 'dispatcher' ? { HTTP_ON_AMBIGUOUS: onAmbiguous } : {}),
          ...options.env?.[kind],
        },
      ]),
    ) as Record<MemberKind, Record<string, string>>;
    super({
      ...options,
      prefix: options.prefix ?? 'faults',
      relays: options.relays ?? 2,
      dispatchers: options.dispatchers ?? 3,
      providerHonoursKeys: onAmbiguous === 'retry',
      env,
    });
    this.ambiguity = onAmbiguous;
    this.effectMaxAttempts = Number(env.dispatcher.EFFECT_MAX_ATTEMPTS);
  }

  /** The dispatchers' EFFECT_MAX_ATTEMPTS, as this pipeline starts them. */
  readonly effectMaxAttempts: number;

  get onAmbiguous(): AmbiguityPolicy {
    return this.ambiguity;
  }

  /**
   * A new account with an API key, written straight into this pipeline's database (the
   * persistence package's own functions, as the CLI uses them), so a scenario depends on no
   * command-line output format.
   */
  async createAccount(name: string): Promise<Caller> {
    const orm = await openOrm({ databaseUrl: this.databaseUrl, poolSize: 1 });
    try {
      const accountId = newId('acc');
      await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, name]);
      const { apiKey, keyId } = await issueApiKey(orm.em.fork(), accountId);
      return { accountId, apiKey, keyId };
    } finally {
      await orm.close();
    }
  }
}
