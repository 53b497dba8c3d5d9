import kafkajs, { type Kafka, type ProducerBatch, type ProducerConfig, type RecordMetadata } from 'kafkajs';
import { classifySendError, FencedSendError, IncompleteSendError, KafkaPublisher } from './kafkaPublisher.js';

const {
  KafkaJSProtocolError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSNonRetriableError,
  KafkaJSConnectionError,
} = kafkajs;

const brokerError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ message: type, type, code: 1, retriable } as never);

describe('classifying a failed send', () => {
  it('blames the records for a message that is too large, however deeply kafkajs wraps it', () => {
    // What kafkajs' retrier throws when it bails out on a non-retriable broker error.
    const bail = KafkaJSNonRetriableError as unknown as new (
      error: Error,
      options: { cause: Error },
    ) => Error;
    const inner = brokerError('MESSAGE_TOO_LARGE', false);
    const wrapped = new bail(inner, { cause: inner });
    expect(classifySendError(wrapped)).toEqual({ kind: 'record', type: 'MESSAGE_TOO_LARGE' });
  });

  it('treats an unreachable broker as transient', () => {
    const unreachable = new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError('Connection error: ECONNREFUSED') as never,
      {
        retryCount: 5,
        retryTime: 2_000,
      } as never,
    );
    expect(classifySendError(unreachable)).toEqual({ kind: 'transient' });
  });

  it('treats a sequence error as transient (the failed send already retired its producer)', () => {
    expect(classifySendError(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', false))).toEqual({
      kind: 'transient',
    });
  });

  it('treats anything unknown as transient: rows are retried, never dropped', () => {
    expect(classifySendError(new Error('socket hang up'))).toEqual({ kind: 'transient' });
    expect(classifySendError(undefined)).toEqual({ kind: 'transient' });
  });
});

/**
 * Stands in for kafkajs: partitions each record with the producer's partitioner as kafkajs does,
 * then answers for the partitions `answerFor` keeps (kafkajs 2.2.4 answers for fewer when a
 * retry skipped a partition whose leader moved to a broker that had already answered).
 */
function kafkaAnswering(answerFor: (partitions: number[]) => number[]): Kafka {
  const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
  return {
    producer: (config: ProducerConfig) => {
      const partitioner = config.createPartitioner?.();
      return {
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: async ({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> => {
          const answers: RecordMetadata[] = [];
          for (const { topic, messages } of topicMessages) {
            const partitions = [
              ...new Set(
                messages.map((message) => partitioner?.({ topic, partitionMetadata, message }) ?? 0),
              ),
            ];
            for (const partition of answerFor(partitions))
              answers.push({ topicName: topic, partition, errorCode: 0, baseOffset: '0' });
          }
          return answers;
        },
      };
    },
  } as unknown as Kafka;
}

const records = Array.from({ length: 40 }, (_, index) => ({
  topic: 'commands',
  message: { key: `acc/key-${index}`, value: `${index}` },
}));

describe('a send kafkajs resolves', () => {
  it('is complete when every partition a record went to has an answer', async () => {
    const publisher = new KafkaPublisher(() => kafkaAnswering((partitions) => partitions));
    await expect(publisher.send(records)).resolves.toBeUndefined();
  });

  it('fails as transient, naming the partition, when a partition got no answer (tulios/kafkajs#1303)', async () => {
    let dropped = -1;
    const publisher = new KafkaPublisher(() =>
      kafkaAnswering((partitions) => {
        dropped = partitions[partitions.length - 1] ?? -1;
        return partitions.slice(0, -1);
      }),
    );
    const failure = await publisher.send(records).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IncompleteSendError);
    expect((failure as IncompleteSendError).missing).toEqual([`commands/${dropped}`]);
    expect(classifySendError(failure)).toEqual({ kind: 'transient' });
  });
});

describe('a send whose fence aborts while the broker has not answered', () => {
  it('fails at once as FencedSendError (transient) instead of waiting for the broker', async () => {
    const hanging = {
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: () => new Promise<never>(() => {}),
      }),
    } as unknown as Kafka;
    let clients = 0;
    const publisher = new KafkaPublisher(() => {
      clients += 1;
      return hanging;
    });
    const fence = new AbortController();
    const sending = publisher.send(records, fence.signal).catch((error: unknown) => error);
    setTimeout(() => fence.abort(), 20);
    const failure = await sending;
    expect(failure).toBeInstanceOf(FencedSendError);
    expect(classifySendError(failure)).toEqual({ kind: 'transient' });
    // The abandoned session is never used again: the next send starts a client of its own.
    void publisher.send(records).catch(() => {});
    expect(clients).toBe(2);
  });
});

describe('the producer after a send', () => {
  /** A kafkajs stand-in whose sends fail while `failing` is set; counts producers and disconnects. */
  function countingKafka() {
    const counts = { producers: 0, disconnects: 0, failing: false };
    const kafka = {
      producer: () => {
        counts.producers += 1;
        return {
          connect: async () => {},
          disconnect: async () => {
            counts.disconnects += 1;
          },
          sendBatch: async () => {
            if (counts.failing) throw new Error('Connection error: ECONNRESET');
            return [];
          },
        };
      },
    } as unknown as Kafka;
    return { kafka, counts };
  }
  const oneRecord = [{ topic: 'commands', message: { key: 'acc/k', value: '0' } }];

  it('is kept while sends succeed', async () => {
    const { kafka, counts } = countingKafka();
    const publisher = new KafkaPublisher(() => kafka);
    await publisher.send(oneRecord);
    await publisher.send(oneRecord, new AbortController().signal);
    expect(counts).toMatchObject({ producers: 1, disconnects: 0 });
  });

  it('is disconnected after any failed send, before the failure is reported, and the next send gets a new one', async () => {
    const { kafka, counts } = countingKafka();
    const retired: string[] = [];
    const publisher = new KafkaPublisher(
      () => kafka,
      (reason) => retired.push(reason),
    );
    await publisher.send(oneRecord);
    counts.failing = true;
    // A transient failure, not one about the producer's sequence numbers: those can be behind
    // the broker after any failed request.
    await expect(publisher.send(oneRecord, new AbortController().signal)).rejects.toThrow('ECONNRESET');
    expect(counts).toMatchObject({ producers: 1, disconnects: 1 });
    counts.failing = false;
    await publisher.send(oneRecord);
    expect(counts).toMatchObject({ producers: 2, disconnects: 1 });
    expect(retired).toEqual(['failed_send']);
  });

  it('is disconnected after a send kafkajs resolved with a partition missing', async () => {
    let producers = 0;
    const publisher = new KafkaPublisher(() => {
      producers += 1;
      return kafkaAnswering((partitions) => partitions.slice(1));
    });
    await expect(publisher.send(records)).rejects.toBeInstanceOf(IncompleteSendError);
    await expect(publisher.send(records)).rejects.toBeInstanceOf(IncompleteSendError);
    expect(producers).toBe(2);
  });
});
