import { AsyncLocalStorage } from 'node:async_hooks';
import { connect, Socket } from 'node:net';
import { type ISocketFactory, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';

/** Broker errors about the records themselves: the same records can never succeed. */
const recordErrors = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
]);
/**
 * A send kafkajs reported as done although some of its partitions never got an answer from a
 * broker. kafkajs 2.2.4 keeps the brokers' answers across its internal retries of one send and
 * resends only to brokers without an answer: when a failed partition's leadership moves to a
 * broker that had already answered for other partitions, that partition's records are never
 * sent and the send still resolves (tulios/kafkajs#1303, #1798). Transient: the relay sends the
 * whole chunk again (the partitions that were written get their records twice, which the
 * dispatcher's inbox drops).
 */
export class IncompleteSendError extends Error {
  override readonly name = 'IncompleteSendError';
  readonly type = 'INCOMPLETE_SEND';
  readonly missing: readonly string[];

  constructor(missing: readonly string[]) {
    super(
      `Kafka never answered for ${missing.join(', ')} although the send resolved; sending the chunk again`,
    );
    this.missing = missing;
  }
}

/**
 * A send given up because the leases of its rows may have lapsed while it waited for the broker.
 * Its connections were reset, so what had not left this host never reaches the broker; what had
 * may be on Kafka (the rows stay in the claim journal). Transient.
 */
export class FencedSendError extends Error {
  override readonly name = 'FencedSendError';
  readonly type = 'FENCED_SEND';

  constructor() {
    super('gave up a send: the shard leases of its rows may have lapsed; its connections were reset');
  }
}

/** Why a producer was retired after a send: it failed, or kafkajs retried it internally. */
export type RetireReason = 'failed_send' | 'retried_send';

/** Builds a kafkajs client whose connections go through `socketFactory`. */
export type NewKafka = (socketFactory: ISocketFactory) => Kafka;

interface ProducerSession {
  producer: Promise<Producer>;
  sockets: Set<Socket>;
  /** Once abandoned, the session's client can open no connection. */
  abandoned: boolean;
}

/** What the partitioner saw during the send in progress, per send. */
interface SendTrace {
  /** The partitions it chose for the send's records. */
  partitions: Set<string>;
  /** kafkajs partitions every record again on each of its internal retries. */
  calls: number;
}
const sendTraces = new AsyncLocalStorage<SendTrace>();

/** How a failed send is handled: `record` errors split the batch down to the row to set aside. */
export type SendFailure = { kind: 'record'; type: string } | { kind: 'transient' };

export function classifySendError(error: unknown): SendFailure {
  const record = errorTypes(error).find((type) => recordErrors.has(type));
  return record ? { kind: 'record', type: record } : { kind: 'transient' };
}

/** kafkajs wraps broker errors (retries exceeded, aggregates): the protocol error types inside. */
function errorTypes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) return [];
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  const nested = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])].filter(
    (inner) => inner !== error,
  );
  return [
    ...(typeof e.type === 'string' ? [e.type] : []),
    ...nested.flatMap((inner) => errorTypes(inner, depth + 1)),
  ];
}

/**
 * kafkajs' idempotent producer (acks = all, one request in flight per broker), created on first
 * use and replaced after every send that failed or that kafkajs retried internally.
 *
 * Why: kafkajs 2.2.4 numbers a request's records when it builds the request and takes the
 * numbers back for every partition of a request that failed, although the broker may have
 * written some of them (an answer lost with its connection, an error for another partition of
 * the same request, or a request to a partition's old leader still in flight while a retry sends
 * the records to the new one). The producer is then behind the broker, and the next records it
 * sends to such a partition carry numbers the broker already holds: the same count is
 * acknowledged as a repeat without being written (a silent loss), another count is refused as
 * out of order. A new producer id has no history on the broker, so what was written gets written
 * again (a duplicate the dispatcher's inbox drops) and nothing is lost.
 */
export class KafkaPublisher {
  private readonly newKafka: NewKafka;
  private readonly onRetire: (reason: RetireReason) => void;
  private session: ProducerSession | undefined;

  /** `onRetire` hears of every producer retired after a send (for the relay's metrics). */
  constructor(newKafka: NewKafka, onRetire: (reason: RetireReason) => void = () => {}) {
    this.newKafka = newKafka;
    this.onRetire = onRetire;
  }

  /**
   * Sends records in order and resolves when the broker acknowledged all of them. When `fence`
   * aborts first, the producer session is abandoned (its connections reset, so a request still
   * queued on this host is dropped, and it cannot reconnect to retry) and the send fails with
   * `FencedSendError`.
   */
  async send(batch: readonly { topic: string; message: Message }[], fence?: AbortSignal): Promise<void> {
    if (!fence) return this.sendOnce(batch, this.currentSession());
    if (fence.aborted) throw new FencedSendError();
    const session = this.currentSession();
    let onAbort: () => void = () => {};
    const fenced = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.abandon(session);
        reject(new FencedSendError());
      };
      fence.addEventListener('abort', onAbort, { once: true });
    });
    const sending = this.sendOnce(batch, session);
    sending.catch(() => {});
    try {
      return await Promise.race([sending, fenced]);
    } finally {
      fence.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One send through `session`. A failure retires the session before it is rethrown; so does a
   * send kafkajs retried internally, though it succeeded: a request of an earlier attempt that
   * failed late, to another broker than the one its partition moved to, takes back sequence
   * numbers a later attempt used, and the producer is behind the broker with no error shown.
   */
  private async sendOnce(
    batch: readonly { topic: string; message: Message }[],
    session: ProducerSession,
  ): Promise<void> {
    try {
      const { retried } = await this.sendThrough(await session.producer, batch);
      if (retried) await this.retire(session, 'retried_send');
    } catch (error) {
      await this.retire(session, 'failed_send');
      throw error;
    }
  }

  private async sendThrough(
    producer: Producer,
    batch: readonly { topic: string; message: Message }[],
  ): Promise<{ retried: boolean }> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    const trace: SendTrace = { partitions: new Set(), calls: 0 };
    const answers = await sendTraces.run(trace, () =>
      producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      }),
    );
    // Every partition a record went to must have an answer: see IncompleteSendError.
    const answered = new Set(answers.map((answer) => `${answer.topicName}/${answer.partition}`));
    const missing = [...trace.partitions].filter((partition) => !answered.has(partition));
    if (missing.length > 0) throw new IncompleteSendError(missing);
    return { retried: trace.calls > batch.length };
  }

  /**
   * Drops the session's producer, once its requests still in flight are answered (kafkajs'
   * disconnect waits for them), so none of them lands after records of the next session. The
   * next send starts a new producer session, with a new producer id.
   */
  private async retire(session: ProducerSession, reason?: RetireReason): Promise<void> {
    if (this.session === session) this.session = undefined;
    if (reason) this.onRetire(reason);
    await session.producer.then((producer) => producer.disconnect()).catch(() => {});
  }

  /** Resets the session's connections at once and lets it open none: nothing of it can reach a broker later. */
  private abandon(session: ProducerSession): void {
    if (this.session === session) this.session = undefined;
    session.abandoned = true;
    for (const socket of session.sockets) {
      socket.resetAndDestroy();
      // kafkajs 2.2.4 listens for `error` and `end`, not `close`: without this its request would
      // wait out the request timeout (30 s) before failing.
      socket.emit('error', new FencedSendError());
    }
    session.sockets.clear();
    void session.producer.then((producer) => producer.disconnect()).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.session) await this.retire(this.session);
  }

  /** The session sends go through now, started (connecting) if there is none. */
  private currentSession(): ProducerSession {
    if (!this.session) {
      const sockets = new Set<Socket>();
      const session: ProducerSession = {
        producer: Promise.resolve(undefined as never),
        sockets,
        abandoned: false,
      };
      const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
        if (session.abandoned) {
          const refused = new Socket();
          process.nextTick(() => refused.destroy(new Error('the producer session was abandoned')));
          return refused;
        }
        const socket = connect({ host, port }, onConnect);
        socket.setKeepAlive(true, 60_000);
        socket.on('error', () => {});
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        return socket;
      };
      const producer = this.newKafka(socketFactory).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: recordingPartitioner,
        // Few retries inside kafkajs (it refuses none for an idempotent producer): the relay's own
        // loop retries for ever, with capped backoff.
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      const connecting = producer.connect().then(() => producer);
      connecting.catch(() => {
        if (this.session === session) this.session = undefined;
      });
      session.producer = connecting;
      this.session = session;
    }
    return this.session;
  }
}

/** kafkajs' default partitioner (murmur2 of the key), noting each choice in the send's trace. */
const recordingPartitioner: typeof Partitioners.DefaultPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  return (args) => {
    const chosen = partition(args);
    const trace = sendTraces.getStore();
    if (trace) {
      trace.partitions.add(`${args.topic}/${chosen}`);
      trace.calls += 1;
    }
    return chosen;
  };
};
