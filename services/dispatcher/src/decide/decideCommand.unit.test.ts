import type { MessageAccepted, MessageEvent } from '@exactly/contracts';
import { evolveMessage, initialMessageState } from '@exactly/message-store';
import { deciderSpec } from '@exactly/testkit';
import { type DispatchMessage, decideCommand } from './decideCommand.js';

const spec = deciderSpec({ decide: decideCommand, evolve: evolveMessage, initialState: initialMessageState });

const accepted: MessageAccepted = {
  type: 'MessageAccepted',
  data: {
    messageId: 'msg_1',
    accountId: 'acc_1',
    channel: 'email',
    to: 'a@example.com',
    from: 'b@example.com',
    idempotencyKey: 'k1',
  },
};
const dispatched: MessageEvent = {
  type: 'DispatchRequested',
  data: { provider: 'log', effectId: 'eff_msg_1' },
};

const command = (delivery: DispatchMessage['data']['delivery'], accountId = 'acc_1'): DispatchMessage => ({
  type: 'DispatchMessage',
  data: { messageId: 'msg_1', accountId, provider: 'log', ...(delivery === undefined ? {} : { delivery }) },
  metadata: { traceparent: '00-trace-span-01' },
});

describe('a command arrives', () => {
  describe('for an accepted message, on its first delivery', () => {
    it('requests the dispatch: DispatchRequested with the effect it queues', () => {
      spec
        .given([accepted])
        .when(command('first'))
        .then({
          outcome: 'dispatch',
          effectId: 'eff_msg_1',
          events: [
            {
              type: 'DispatchRequested',
              data: { provider: 'log', effectId: 'eff_msg_1' },
              metadata: { traceparent: '00-trace-span-01' },
            },
          ],
        });
    });
  });

  describe('again with the same payload', () => {
    it('is a duplicate and changes nothing', () => {
      spec.given([accepted, dispatched]).when(command('repeat')).then({ outcome: 'duplicate' });
    });
  });

  describe('again with another payload', () => {
    it('is set aside as a payload conflict', () => {
      spec.given([accepted, dispatched]).when(command('conflicting')).then({
        outcome: 'dead_letter',
        code: 'payload_conflict',
        reason: 'command msg_1 was handled before with another payload',
      });
    });
  });

  describe('for a message that was never accepted', () => {
    it('is set aside before the inbox, whatever its delivery', () => {
      const notAccepted = {
        outcome: 'dead_letter',
        code: 'command_not_accepted',
        reason: 'no message msg_1 for account acc_1: the command was never accepted',
      } as const;
      spec.given([]).when(command(undefined)).then(notAccepted);
      spec.given([]).when(command('first')).then(notAccepted);
    });

    it('is set aside when the message belongs to another account', () => {
      spec.given([accepted]).when(command(undefined, 'acc_2')).then({
        outcome: 'dead_letter',
        code: 'command_not_accepted',
        reason: 'no message msg_1 for account acc_2: the command was never accepted',
      });
    });
  });

  describe('for an accepted message whose stream has dispatcher events, though the inbox did not know it', () => {
    it('is set aside as a replay beyond the deduplication horizon', () => {
      spec.given([accepted, dispatched]).when(command('first')).then({
        outcome: 'dead_letter',
        code: 'replay_beyond_horizon',
        reason: 'message msg_1 was dispatched before (stream version 2) and its inbox record has expired',
      });
    });
  });

  describe('for an accepted message the inbox has not seen', () => {
    it('is refused: an accepted command is decided after deduplication', () => {
      spec.given([accepted]).when(command(undefined)).thenThrows(TypeError);
    });
  });

  describe('for a scheduled message', () => {
    const at = '2026-12-24T09:00:00.000Z';
    const scheduled: MessageEvent = { type: 'MessageScheduled', data: { sendAt: at } };

    it('dispatches it once the scheduler released it, though its stream is past version 1', () => {
      spec
        .given([accepted, scheduled, { type: 'ScheduledSendReleased', data: { sendAt: at } }])
        .when(command('first'))
        .then({
          outcome: 'dispatch',
          effectId: 'eff_msg_1',
          events: [
            {
              type: 'DispatchRequested',
              data: { provider: 'log', effectId: 'eff_msg_1' },
              metadata: { traceparent: '00-trace-span-01' },
            },
          ],
        });
    });

    it('sets a command aside that arrives before the release, or after a cancel', () => {
      spec.given([accepted, scheduled]).when(command('first')).then({
        outcome: 'dead_letter',
        code: 'command_not_accepted',
        reason: 'message msg_1 is scheduled: its send was never released',
      });
      spec
        .given([accepted, scheduled, { type: 'MessageCancelled', data: { sendAt: at } }])
        .when(command('first'))
        .then({
          outcome: 'dead_letter',
          code: 'command_not_accepted',
          reason: 'message msg_1 is cancelled: its send was never released',
        });
    });
  });
});
