import type { MessageEvent } from '@exactly/contracts';
import { evolveMessage, initialMessageState } from '@exactly/message-store';
import { deciderSpec } from '@exactly/testkit';
import type { SendOutcome } from '../providers/provider.js';
import { decideOutcome, type RecordOutcome } from './decideOutcome.js';

const spec = deciderSpec({ decide: decideOutcome, evolve: evolveMessage, initialState: initialMessageState });

const dispatched: MessageEvent[] = [
  {
    type: 'MessageAccepted',
    data: {
      messageId: 'msg_1',
      accountId: 'acc_1',
      channel: 'sms',
      to: '+1',
      from: 'x',
      idempotencyKey: 'k',
    },
  },
  { type: 'DispatchRequested', data: { provider: 'sms', effectId: 'eff_msg_1' } },
];
const finishedAt = new Date('2026-12-04T12:00:00.000Z');

const finished = (
  outcome: SendOutcome,
  {
    attempt = 1,
    maxAttempts = 3,
    onAmbiguous,
  }: { attempt?: number; maxAttempts?: number; onAmbiguous?: 'retry' | 'hold' } = {},
): RecordOutcome => ({
  type: 'RecordOutcome',
  data: {
    provider: 'sms',
    attempt,
    maxAttempts,
    outcome,
    finishedAt,
    retryDelayMs: 1_500,
    ...(onAmbiguous === undefined ? {} : { onAmbiguous }),
  },
});

describe('a provider call finishes', () => {
  describe('accepted', () => {
    it('records ProviderAccepted and the effect succeeds', () => {
      spec
        .given(dispatched)
        .when(finished({ status: 'accepted', replayed: true, providerMessageId: 'p-1' }, { attempt: 2 }))
        .then({
          decision: 'accepted',
          state: 'succeeded',
          delayMs: 0,
          events: [
            {
              type: 'ProviderAccepted',
              data: { provider: 'sms', attempt: 2, providerMessageId: 'p-1', replayed: true },
            },
          ],
        });
    });
  });

  describe('failed, retryable, with attempts left', () => {
    it('records the failure and schedules the next attempt after the drawn backoff', () => {
      spec
        .given(dispatched)
        .when(finished({ status: 'failed', retryable: true, error: 'timeout' }))
        .then({
          decision: 'retry_scheduled',
          state: 'pending',
          delayMs: 1_500,
          events: [
            {
              type: 'ProviderCallFailed',
              data: { provider: 'sms', attempt: 1, error: 'timeout', retryable: true },
            },
            { type: 'RetryScheduled', data: { attempt: 2, at: '2026-12-04T12:00:01.500Z' } },
          ],
        });
    });
  });

  describe('failed, retryable, on the last attempt', () => {
    it('gives up: the message failed', () => {
      spec
        .given(dispatched)
        .when(finished({ status: 'failed', retryable: true, error: 'timeout' }, { attempt: 3 }))
        .then({
          decision: 'failed',
          state: 'failed',
          delayMs: 0,
          events: [
            {
              type: 'ProviderCallFailed',
              data: { provider: 'sms', attempt: 3, error: 'timeout', retryable: false },
            },
            {
              type: 'MessageFailed',
              data: { reason: 'gave up after 3 attempts; last error: timeout', attempts: 3 },
            },
          ],
        });
    });
  });

  describe('refused by the provider', () => {
    it('fails the message at once, attempts left or not', () => {
      spec
        .given(dispatched)
        .when(finished({ status: 'failed', retryable: false, error: 'bad number' }))
        .then({
          decision: 'failed',
          state: 'failed',
          delayMs: 0,
          events: [
            {
              type: 'ProviderCallFailed',
              data: { provider: 'sms', attempt: 1, error: 'bad number', retryable: false },
            },
            {
              type: 'MessageFailed',
              data: { reason: 'the provider refused the send: bad number', attempts: 1 },
            },
          ],
        });
    });
  });

  describe('ambiguous', () => {
    const ambiguous: SendOutcome = { status: 'failed', retryable: true, ambiguous: true, error: 'no answer' };

    it('holds the message when the provider does not drop a repeat', () => {
      spec
        .given(dispatched)
        .when(finished(ambiguous, { onAmbiguous: 'hold' }))
        .then({
          decision: 'held',
          state: 'held',
          delayMs: 0,
          events: [{ type: 'MessageHeld', data: { provider: 'sms', attempt: 1, reason: 'no answer' } }],
        });
    });

    it('retries when the provider drops a repeated key', () => {
      spec
        .given(dispatched)
        .when(finished(ambiguous, { onAmbiguous: 'retry' }))
        .then({
          decision: 'retry_scheduled',
          state: 'pending',
          delayMs: 1_500,
          events: [
            {
              type: 'ProviderCallFailed',
              data: { provider: 'sms', attempt: 1, error: 'no answer', retryable: true },
            },
            { type: 'RetryScheduled', data: { attempt: 2, at: '2026-12-04T12:00:01.500Z' } },
          ],
        });
    });
  });

  describe('accepted late, for a held message', () => {
    it('records ProviderAccepted, which settles the message as sent', () => {
      const held: MessageEvent = {
        type: 'MessageHeld',
        data: { provider: 'sms', attempt: 1, reason: 'no answer' },
      };
      spec
        .given([...dispatched, held])
        .when(finished({ status: 'accepted', replayed: false }))
        .then({
          decision: 'accepted',
          state: 'succeeded',
          delayMs: 0,
          events: [{ type: 'ProviderAccepted', data: { provider: 'sms', attempt: 1, replayed: false } }],
        });
    });
  });
});
