import kafkajs from 'kafkajs';
import { classifySendError } from './kafkaPublisher.js';

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

  it('treats an unreachable broker as transient, keeping the producer', () => {
    const unreachable = new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError('Connection error: ECONNREFUSED') as never,
      {
        retryCount: 5,
        retryTime: 2_000,
      } as never,
    );
    expect(classifySendError(unreachable)).toEqual({ kind: 'transient', resetProducer: false });
  });

  it('starts a new producer session after a sequence error', () => {
    expect(classifySendError(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', false))).toEqual({
      kind: 'transient',
      resetProducer: true,
    });
  });

  it('treats anything unknown as transient: rows are retried, never dropped', () => {
    expect(classifySendError(new Error('socket hang up'))).toEqual({
      kind: 'transient',
      resetProducer: false,
    });
    expect(classifySendError(undefined)).toEqual({ kind: 'transient', resetProducer: false });
  });
});
