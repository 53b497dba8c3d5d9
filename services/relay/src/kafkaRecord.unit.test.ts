import { reasonCode, toKafkaMessage } from './kafkaRecord.js';

const row = {
  topic: 'commands',
  key: 'acc_1/key-1',
  payload: '{"type": "SendMessage"}',
  headers: {
    'exactly-message-id': 'msg_1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
};

describe('turning an outbox row into a Kafka record', () => {
  it('keeps the key, the payload JSON as value and the headers as given', () => {
    const check = toKafkaMessage(row, 1_048_588);
    expect(check).toEqual({
      ok: true,
      message: { key: row.key, value: row.payload, headers: row.headers },
      bytes: expect.any(Number),
    });
  });

  it('refuses a row for a topic the relay does not manage', () => {
    expect(toKafkaMessage(row, undefined)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^unknown_topic: /),
    });
  });

  it('refuses an empty key', () => {
    expect(toKafkaMessage({ ...row, key: '' }, 1_000)).toMatchObject({ ok: false, reason: /^invalid_key/ });
  });

  it.each([
    ['an array', ['a']],
    ['null', null],
    ['a number value', { a: 1 }],
    ['a nested object', { a: { b: 'c' } }],
  ])('refuses headers that are %s', (_, headers) => {
    expect(toKafkaMessage({ ...row, headers }, 1_000)).toMatchObject({
      ok: false,
      reason: /^invalid_headers/,
    });
  });

  it('refuses a row larger than the topic allows, counting key, value and headers', () => {
    const payload = JSON.stringify({ body: 'x'.repeat(900) });
    expect(toKafkaMessage({ ...row, payload }, 2_000)).toMatchObject({ ok: true });
    expect(toKafkaMessage({ ...row, payload }, 1_000)).toMatchObject({ ok: false, reason: /^too_large/ });
  });

  it('counts bytes, not characters', () => {
    const check = toKafkaMessage({ ...row, payload: '"é"', headers: {} }, 1_000);
    expect(check.ok && check.bytes).toBe(61 + 40 + Buffer.byteLength(row.key) + 4);
  });
});

describe('the reason code', () => {
  it('is the part before the colon', () => {
    expect(reasonCode('too_large: about 2000 bytes')).toBe('too_large');
  });
});
