import { retryKafkaErrors } from './retryKafkaErrors.js';

function kafkaError(type: string): Error {
  return Object.assign(new Error(type), { type });
}

/** An action that fails with the given errors in turn, then answers 'done'; it counts its calls. */
function failing(...errors: Error[]) {
  let calls = 0;
  return {
    action: async () => {
      calls += 1;
      const error = errors[calls - 1];
      if (error) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

const retry = { retryable: new Set(['NOT_READY']), attempts: 3, delayMs: (failures: number) => failures };

describe('retrying an action on Kafka errors of a retryable type', () => {
  it('tries again after each retryable error, waiting as told, and returns the answer', async () => {
    const waits: number[] = [];
    const { action, calls } = failing(kafkaError('NOT_READY'), kafkaError('NOT_READY'));
    const answer = await retryKafkaErrors(action, {
      ...retry,
      delayMs: (failures) => {
        waits.push(failures);
        return 1;
      },
    });
    expect(answer).toBe('done');
    expect(calls()).toBe(3);
    expect(waits).toEqual([1, 2]);
  });

  it('throws the last error once the attempts are spent', async () => {
    const { action, calls } = failing(
      kafkaError('NOT_READY'),
      kafkaError('NOT_READY'),
      kafkaError('NOT_READY'),
    );
    await expect(retryKafkaErrors(action, retry)).rejects.toMatchObject({ type: 'NOT_READY' });
    expect(calls()).toBe(3);
  });

  it('throws any other error at once, typed or not', async () => {
    const typed = failing(kafkaError('TOPIC_AUTHORIZATION_FAILED'));
    await expect(retryKafkaErrors(typed.action, retry)).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(typed.calls()).toBe(1);
    const untyped = failing(new Error('socket hang up'));
    await expect(retryKafkaErrors(untyped.action, retry)).rejects.toThrow('socket hang up');
    expect(untyped.calls()).toBe(1);
  });
});
