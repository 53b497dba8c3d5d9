import { commandFingerprint, decodeRecord, headersToStrings, type ReceivedRecord } from './decodeRecord.js';

const command = {
  type: 'SendMessage',
  data: {
    messageId: 'msg_1',
    accountId: 'acc_1',
    message: { channel: 'sms', to: '+15551234567', from: 'ACME', text: 'Hi' },
    acceptedAt: '2026-11-22T10:00:00.000Z',
  },
  metadata: { schemaVersion: 1, idempotencyKey: 'k1' },
};

const record = (value: string | null): ReceivedRecord => ({
  offset: '7',
  key: Buffer.from('acc_1/k1'),
  value: value === null ? null : Buffer.from(value),
  headers: {},
});

describe('decoding a record of the commands topic', () => {
  it('gives the command and its fingerprint', () => {
    const decoded = decodeRecord(record(JSON.stringify(command)));
    expect(decoded.kind).toBe('command');
    if (decoded.kind === 'command') expect(decoded.command.data.messageId).toBe('msg_1');
  });

  it('gives the same fingerprint whatever the key order, and another for another payload', () => {
    const reordered = JSON.stringify({
      metadata: command.metadata,
      data: { ...command.data },
      type: 'SendMessage',
    });
    const a = decodeRecord(record(JSON.stringify(command)));
    const b = decodeRecord(record(reordered));
    const other = decodeRecord(
      record(
        JSON.stringify({
          ...command,
          data: { ...command.data, message: { ...command.data.message, text: 'Yo' } },
        }),
      ),
    );
    if (a.kind !== 'command' || b.kind !== 'command' || other.kind !== 'command')
      throw new Error('not decoded');
    expect(a.fingerprint.equals(b.fingerprint)).toBe(true);
    expect(a.fingerprint.equals(other.fingerprint)).toBe(false);
    expect(commandFingerprint(a.command)).toHaveLength(32);
  });

  it('ignores metadata in the fingerprint: a re-publish with another request id is the same command', () => {
    const a = decodeRecord(record(JSON.stringify(command)));
    const b = decodeRecord(
      record(JSON.stringify({ ...command, metadata: { ...command.metadata, requestId: 'r2' } })),
    );
    if (a.kind !== 'command' || b.kind !== 'command') throw new Error('not decoded');
    expect(a.fingerprint.equals(b.fingerprint)).toBe(true);
  });

  it.each([
    ['no value', null, /has no value/],
    ['a value that is not JSON', '{oops', /not JSON/],
    ['JSON that is not a command', '{"type":"SendMessage"}', /not a SendMessageCommand: data/],
    [
      'a command whose message breaks the contract',
      JSON.stringify({ ...command, data: { ...command.data, message: { channel: 'fax' } } }),
      /data\.message/,
    ],
  ])('turns %s into a schema_invalid dead letter with its reason', (_, value, reason) => {
    const decoded = decodeRecord(record(value));
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'schema_invalid',
      reason: expect.stringMatching(reason),
    });
  });
});

describe('headersToStrings', () => {
  it('turns buffers into text and keeps the last value of a repeated header', () => {
    expect(headersToStrings({ a: Buffer.from('x'), b: ['1', Buffer.from('2')], c: undefined })).toEqual({
      a: 'x',
      b: '2',
    });
  });
});
