import { readRelayConfig } from './config.js';

const required = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', KAFKA_BROKERS: '127.0.0.1:9092' };

describe('the relay configuration', () => {
  it('has defaults for everything but the database and the brokers', () => {
    expect(readRelayConfig(required)).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3001,
      COMMANDS_TOPIC: 'exactly.send-commands',
      RELAY_TOPIC_PARTITIONS: 12,
      RELAY_TOPIC_RETENTION: 604_800_000,
      RELAY_BATCH_SIZE: 500,
      RELAY_LEASE_TTL: 10_000,
      RELAY_POLL_MAX: 1_000,
      RELAY_PUBLISHED_RETENTION: 0,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() =>
      readRelayConfig({ ...required, RELAY_BATCH_SIZE: 'many', RELAY_LEASE_TTL: '100ms' }),
    ).toThrow(/RELAY_BATCH_SIZE="many".*\n.*RELAY_LEASE_TTL="100ms"/s);
  });

  it('refuses to start without a database', () => {
    expect(() => readRelayConfig({ KAFKA_BROKERS: '127.0.0.1:9092' })).toThrow(/DATABASE_URL/);
  });
});
