import { z } from 'zod';
import { duration, flag, kafkaBrokers, otelSettings, port, readConfig } from './index.js';

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

describe('the OpenTelemetry settings', () => {
  const Otel = z.object(otelSettings);

  it('are optional, and take an http(s) collector URL and a service name', () => {
    expect(readConfig(Otel, {})).toEqual({});
    expect(
      readConfig(Otel, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SERVICE_NAME: 'relay-eu',
      }),
    ).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'relay-eu' });
  });

  it('refuse an endpoint that is not an http(s) URL, naming the variable', () => {
    expect(() => readConfig(Otel, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318"/,
    );
    expect(() => readConfig(Otel, { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
