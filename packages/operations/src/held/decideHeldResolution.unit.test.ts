import type { MessageEvent } from '@exactly/contracts';
import { deciderSpec } from '@exactly/testkit';
import {
  decideHeldResolution,
  evolveHeldMessage,
  type HeldDecision,
  initialHeldMessageState,
  type ResolveHeldMessage,
} from './decideHeldResolution.js';

const spec = deciderSpec({
  decide: decideHeldResolution,
  evolve: evolveHeldMessage,
  initialState: initialHeldMessageState,
});

const held: MessageEvent[] = [
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
  { type: 'DispatchRequested', data: { provider: 'http', effectId: 'eff_msg_1' } },
  { type: 'MessageHeld', data: { provider: 'http', attempt: 1, reason: 'timed out after sending' } },
];

const resolve = (decision: HeldDecision, note?: string): ResolveHeldMessage => ({
  type: 'ResolveHeldMessage',
  data: {
    messageId: 'msg_1',
    decision,
    operator: 'ops@example.com',
    ...(note === undefined ? {} : { note }),
  },
});

describe('an operator resolves a held message', () => {
  it('marked sent: OperatorMarkedSent, the message sent and its effect succeeded', () => {
    spec
      .given(held)
      .when(resolve('sent', 'the recipient confirmed'))
      .then({
        outcome: 'resolved',
        events: [
          {
            type: 'OperatorMarkedSent',
            data: { operator: 'ops@example.com', note: 'the recipient confirmed' },
          },
        ],
        effectState: 'succeeded',
        status: 'sent',
        version: 4,
      });
  });

  it('marked failed: OperatorMarkedFailed, the message failed and its effect too', () => {
    spec
      .given(held)
      .when(resolve('failed'))
      .then({
        outcome: 'resolved',
        events: [{ type: 'OperatorMarkedFailed', data: { operator: 'ops@example.com' } }],
        effectState: 'failed',
        status: 'failed',
        version: 4,
      });
  });

  it('send again: OperatorRequestedResend, dispatching again with its effect due', () => {
    spec
      .given(held)
      .when(resolve('send_again', ''))
      .then({
        outcome: 'resolved',
        events: [{ type: 'OperatorRequestedResend', data: { operator: 'ops@example.com' } }],
        effectState: 'pending',
        status: 'dispatching',
        version: 4,
      });
  });

  it('settled meanwhile by a late answer: not held, nothing recorded', () => {
    spec
      .given([...held, { type: 'ProviderAccepted', data: { provider: 'http', attempt: 1, replayed: false } }])
      .when(resolve('failed'))
      .then({ outcome: 'not_held', status: 'sent' });
  });

  it('already resolved by another operator: not held', () => {
    spec
      .given([...held, { type: 'OperatorRequestedResend', data: { operator: 'other' } }])
      .when(resolve('sent'))
      .then({ outcome: 'not_held', status: 'dispatching' });
  });

  it('a message that does not exist: not found', () => {
    spec.given([]).when(resolve('sent')).then({ outcome: 'not_found' });
  });
});
