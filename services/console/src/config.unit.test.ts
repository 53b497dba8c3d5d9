import { readConsoleConfig } from './config.js';

const databaseUrl = 'postgres://postgres:exactly@127.0.0.1:54320/exactly';

describe('the console configuration', () => {
  it('is off by default, with Kafka optional and the defaults of the README', () => {
    const config = readConsoleConfig({ DATABASE_URL: databaseUrl });
    expect(config.OPERATOR_TOKEN).toBeUndefined();
    expect(config.KAFKA_BROKERS).toBeUndefined();
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3003,
      CONSUMER_GROUP: 'exactly-dispatcher',
      DASHBOARD_METRICS_URLS: [],
      DASHBOARD_WINDOW: 900_000,
      DASHBOARD_BUCKET: 5_000,
      DASHBOARD_SAMPLE_INTERVAL: 2_000,
      DASHBOARD_SESSION_TTL: 43_200_000,
    });
  });

  it('requires DATABASE_URL, naming it', () => {
    expect(() => readConsoleConfig({})).toThrow(/DATABASE_URL/);
  });

  it('reads the scraped URLs and brokers as lists', () => {
    const config = readConsoleConfig({
      DATABASE_URL: databaseUrl,
      OPERATOR_TOKEN: 'a-long-operator-token',
      KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.1:19192',
      DASHBOARD_METRICS_URLS: 'http://127.0.0.1:3001/metrics,http://127.0.0.1:3002/metrics',
    });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:19092', '127.0.0.1:19192']);
    expect(config.DASHBOARD_METRICS_URLS).toEqual([
      'http://127.0.0.1:3001/metrics',
      'http://127.0.0.1:3002/metrics',
    ]);
  });

  it.each([
    ['a short token', 'short'],
    ['an API key', `ex_${'a'.repeat(43)}`],
    ['a token with spaces', 'operator token with spaces'],
  ])('refuses %s as the operator token, naming the variable', (_, token) => {
    expect(() => readConsoleConfig({ DATABASE_URL: databaseUrl, OPERATOR_TOKEN: token })).toThrow(
      /OPERATOR_TOKEN/,
    );
  });

  it('refuses a metrics URL that is not http(s)', () => {
    expect(() =>
      readConsoleConfig({ DATABASE_URL: databaseUrl, DASHBOARD_METRICS_URLS: 'file:///etc/passwd' }),
    ).toThrow(/DASHBOARD_METRICS_URLS/);
  });
});
