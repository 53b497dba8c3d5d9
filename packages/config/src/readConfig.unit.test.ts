import { z } from 'zod';
import { duration, flag, kafkaBrokers, port, readConfig } from './index.js';

const Config = z.object({
  PORT: port.default(3000),
  KAFKA_BROKERS: kafkaBrokers,
  IDEMPOTENCY_RETENTION: duration.default(86_400_000),
  VERBOSE: flag.default(false),
});

describe('readConfig', () => {
  it('applies defaults and converts values', () => {
    expect(readConfig(Config, { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', VERBOSE: 'yes' })).toEqual({
      PORT: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      IDEMPOTENCY_RETENTION: 86_400_000,
      VERBOSE: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(readConfig(Config, { KAFKA_BROKERS: 'b:1', PORT: '' }).PORT).toBe(3000);
  });

  it('names every bad variable with its value and the reason', () => {
    expect(() =>
      readConfig(Config, { PORT: '70000', KAFKA_BROKERS: 'nohost', IDEMPOTENCY_RETENTION: '1 day' }),
    ).toThrow(
      /PORT="70000": .*\n.*KAFKA_BROKERS.*"nohost": expected host:port\n.*IDEMPOTENCY_RETENTION="1 day"/s,
    );
  });

  it('reports a missing required variable', () => {
    expect(() => readConfig(Config, {})).toThrow(/KAFKA_BROKERS/);
  });
});

describe('duration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['42', 42],
  ])('reads %s as %d ms', (text, ms) => {
    expect(duration.parse(text)).toBe(ms);
  });
});
