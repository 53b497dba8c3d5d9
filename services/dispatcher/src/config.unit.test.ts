import { readDispatcherConfig } from './config.js';

const required = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', KAFKA_BROKERS: '127.0.0.1:9092' };

describe('the dispatcher configuration', () => {
  it('defaults to the log provider on port 3002 with the shared topic names', () => {
    const config = readDispatcherConfig(required);
    expect(config).toMatchObject({
      PORT: 3002,
      PROVIDER_EMAIL: 'log',
      PROVIDER_SMS: 'log',
      PROVIDER_VOICE: 'log',
      COMMANDS_TOPIC: 'exactly.send-commands',
      INBOX_RETENTION: 30 * 86_400_000,
      PARTITIONS_CONCURRENTLY: 12,
      DATABASE_POOL_SIZE: 16,
      WEBHOOKS_CONSUMER_LINGER: 250,
    });
    expect(
      readDispatcherConfig({ ...required, PARTITIONS_CONCURRENTLY: '4', DATABASE_POOL_SIZE: '5' }),
    ).toMatchObject({ PARTITIONS_CONCURRENTLY: 4, DATABASE_POOL_SIZE: 5 });
    expect(
      readDispatcherConfig({ ...required, WEBHOOKS_CONSUMER_LINGER: '1s' }).WEBHOOKS_CONSUMER_LINGER,
    ).toBe(1_000);
  });

  it('reads INBOX_RETENTION=forever as no expiry', () => {
    expect(readDispatcherConfig({ ...required, INBOX_RETENTION: 'forever' }).INBOX_RETENTION).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('names the variable of each bad value', () => {
    expect(() => readDispatcherConfig({ ...required, PROVIDER_SMS: 'smtp' })).toThrow(
      /PROVIDER_SMS.*email only/,
    );
    expect(() => readDispatcherConfig({ ...required, PROVIDER_EMAIL: 'http' })).toThrow(/HTTP_PROVIDER_URL/);
    expect(() => readDispatcherConfig({ ...required, EFFECT_LEASE: '5s', PROVIDER_TIMEOUT: '10s' })).toThrow(
      /EFFECT_LEASE.*longer than PROVIDER_TIMEOUT/,
    );
    expect(() => readDispatcherConfig({ ...required, DATABASE_POOL_SIZE: '12' })).toThrow(
      /DATABASE_POOL_SIZE.*more than PARTITIONS_CONCURRENTLY \(12\)/,
    );
    expect(() => readDispatcherConfig({ ...required, PORT: 'x' })).toThrow(/PORT/);
    expect(() => readDispatcherConfig({ ...required, WEBHOOKS_CONSUMER_LINGER: '20s' })).toThrow(
      /WEBHOOKS_CONSUMER_LINGER.*half of CONSUMER_SESSION_TIMEOUT \(30000 ms\)/,
    );
    expect(() =>
      readDispatcherConfig({ ...required, CONSUMER_MAX_WAIT: '10s', CONSUMER_SESSION_TIMEOUT: '15s' }),
    ).toThrow(/CONSUMER_MAX_WAIT.*half of CONSUMER_SESSION_TIMEOUT/);
  });
});
