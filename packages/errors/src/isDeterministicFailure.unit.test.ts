import { ExactlyError } from './ExactlyError.js';
import { isDeterministicFailure } from './isDeterministicFailure.js';

describe('telling a deterministic failure from a transient one', () => {
  it.each([
    ['a data exception (22P02)', { code: '22P02' }, true],
    ['an integrity violation (23502)', { code: '23502' }, true],
    ['an index row too large (54000)', { code: '54000' }, true],
    ['a deadlock (40P01)', { code: '40P01' }, false],
    ['a lost connection (08006)', { code: '08006' }, false],
    ['a server shutting down (57P01)', { code: '57P01' }, false],
    ['a socket error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), false],
    ['an unknown error', new Error('boom'), false],
    ['a concurrency conflict', new ExactlyError('concurrency_conflict', 'x'), false],
    ['a non-retryable ExactlyError', new ExactlyError('schema_invalid', 'x'), true],
    ['a wrapped data exception', new Error('wrapped', { cause: { code: '22021' } }), true],
  ])('%s', (_, error, deterministic) => {
    expect(isDeterministicFailure(error)).toBe(deterministic);
  });
});
