import { canonicalJson, SendMessage, SendMessageBatch } from './index.js';

const email = {
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Hi',
  text: 'Hello',
};

describe('SendMessage', () => {
  it('accepts an email, an SMS and a voice call', () => {
    expect(SendMessage.safeParse(email).success).toBe(true);
    expect(
      SendMessage.safeParse({ channel: 'sms', to: '+15551234567', from: 'ACME', text: 'Hi' }).success,
    ).toBe(true);
    expect(
      SendMessage.safeParse({ channel: 'voice', to: '+15551234567', from: '+15557654321', text: 'Hello' })
        .success,
    ).toBe(true);
  });

  it('refuses an email without text or html', () => {
    const { text: _text, ...withoutBody } = email;
    const result = SendMessage.safeParse(withoutBody);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('an email needs text, html or both');
  });

  it('refuses unknown fields, so a typo is never silently ignored', () => {
    const result = SendMessage.safeParse({ ...email, subjcet: 'typo' });
    expect(result.success).toBe(false);
  });

  it('refuses a NUL character and a lone surrogate, which PostgreSQL cannot store', () => {
    expect(SendMessage.safeParse({ ...email, text: 'a\u0000b' }).success).toBe(false);
    expect(SendMessage.safeParse({ ...email, subject: 'x\ud800' }).success).toBe(false);
  });

  it('refuses a phone number that is not E.164', () => {
    const result = SendMessage.safeParse({ channel: 'sms', to: '555-1234', from: 'ACME', text: 'Hi' });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['to']);
  });

  it('bounds metadata', () => {
    const metadata = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(SendMessage.safeParse({ ...email, metadata }).success).toBe(false);
    expect(SendMessage.safeParse({ ...email, metadata: { 'bad key': 'v' } }).success).toBe(false);
    expect(SendMessage.safeParse({ ...email, metadata: { order: 1 } }).success).toBe(false);
  });
});

describe('SendMessageBatch', () => {
  it('takes 1 to 1,000 commands', () => {
    expect(SendMessageBatch.safeParse({ messages: [] }).success).toBe(false);
    expect(SendMessageBatch.safeParse({ messages: Array(1_000).fill(email) }).success).toBe(true);
    expect(SendMessageBatch.safeParse({ messages: Array(1_001).fill(email) }).success).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('ignores key order and whitespace', () => {
    expect(canonicalJson(JSON.parse('{ "b": 1, "a": [true, {"y": 2, "x": 1}] }'))).toBe(
      '{"a":[true,{"x":1,"y":2}],"b":1}',
    );
  });
});
