import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';

/** Broker errors about the records themselves: the same records can never succeed. */
const recordErrors = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
]);
/** Errors after which the idempotent producer's id or sequence numbers cannot be trusted. */
const producerStateErrors = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/** How a failed send is handled: `record` errors split the batch down to the row to set aside. */
export type SendFailure = { kind: 'record'; type: string } | { kind: 'transient'; resetProducer: boolean };

export function classifySendError(error: unknown): SendFailure {
  const types = errorTypes(error);
  const record = types.find((type) => recordErrors.has(type));
  if (record) return { kind: 'record', type: record };
  return { kind: 'transient', resetProducer: types.some((type) => producerStateErrors.has(type)) };
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
 * kafkajs' idempotent producer (acks = all, one request in flight, so retries never reorder or
 * duplicate within a producer session), created on first use and replaced after errors that
 * leave its sequence numbers in doubt.
 */
export class KafkaPublisher {
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  /** Sends records in order and resolves when the broker acknowledged all of them. */
  async send(batch: readonly { topic: string; message: Message }[]): Promise<void> {
    const producer = await this.connected();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  /** Drops the producer; the next send starts a new producer session (a new producer id). */
  async reset(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    await old?.then((producer) => producer.disconnect()).catch(() => {});
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Few retries inside kafkajs: the relay's own loop retries for ever, with capped backoff.
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      const connecting = producer.connect().then(() => producer);
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = undefined;
      });
      this.producer = connecting;
    }
    return this.producer;
  }
}
