import type { SendMessage } from '@exactly/contracts';
import { idempotencyProfiles } from '@exactly/idempotency';
import { acceptMessages } from './acceptMessages.js';

let counter = 0;
const input = {
  accountId: 'acc_1',
  requestId: 'req_1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  now: new Date('2026-11-22T10:00:00.000Z'),
  newId: (prefix: string) => `${prefix}_${++counter}`,
  profile: idempotencyProfiles.default,
  maxRecordBytes: 1_048_588,
};
const sms: SendMessage = { channel: 'sms', to: '+15551234567', from: 'Acme', text: 'hi' };

describe('accepting commands', () => {
  it('answers one command with its resource, the profile status and a Location', () => {
    const accepted = acceptMessages({ ...input, commands: [sms], batch: false, idempotencyKey: 'k' });
    const [message] = accepted.effect.messages;
    expect(accepted.reply.status).toBe(202);
    expect(accepted.reply.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      location: `/v1/messages/${message?.id}`,
    });
    expect(JSON.parse(accepted.reply.body)).toEqual({
      id: message?.id,
      status: 'accepted',
      channel: 'sms',
      to: '+15551234567',
      from: 'Acme',
      createdAt: '2026-11-22T10:00:00.000Z',
    });
    expect(message?.messageKey).toBe('k');
    expect(accepted.resourceIds).toEqual([message?.id]);
  });

  it('gives each batch item its own id and the derived key <key>/<index>, under one batch id', () => {
    const accepted = acceptMessages({ ...input, commands: [sms, sms], batch: true, idempotencyKey: 'b' });
    const keys = accepted.effect.messages.map((message) => message.messageKey);
    expect(keys).toEqual(['b/0', 'b/1']);
    expect(new Set(accepted.effect.messages.map((message) => message.batchId)).size).toBe(1);
    expect(JSON.parse(accepted.reply.body).messages).toHaveLength(2);
    expect(accepted.reply.headers.location).toBeUndefined();
  });

  it('uses the message id as its key when the client sent none', () => {
    const [message] = acceptMessages({ ...input, commands: [sms], batch: false, idempotencyKey: undefined })
      .effect.messages;
    expect(message?.messageKey).toBe(message?.id);
  });

  it('answers 201 with the resource in `data` under the truedy profile', () => {
    const accepted = acceptMessages({
      ...input,
      profile: idempotencyProfiles.truedy,
      commands: [sms],
      batch: false,
      idempotencyKey: 'k',
    });
    expect(accepted.reply.status).toBe(201);
    expect(JSON.parse(accepted.reply.body).data.status).toBe('accepted');
  });
});
