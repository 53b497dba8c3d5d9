import { profileFromConfig, readIngestConfig } from './config.js';

describe('the ingest API configuration', () => {
  it('has a default for every variable: 127.0.0.1:3000, the local database, the default profile', () => {
    const config = readIngestConfig({});
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres:exactly@127.0.0.1:54320/exactly',
      IDEMPOTENCY_PROFILE: 'default',
      IDEMPOTENCY_LEASE: 15_000,
      IDEMPOTENCY_WAIT_TIMEOUT: 10_000,
      AUTH_CACHE_TTL: 2_000,
      BODY_LIMIT: 5_242_880,
      WRITE_LINGER: 2,
    });
    expect(profileFromConfig(config).name).toBe('default');
  });

  it('bounds how long a write group waits for company', () => {
    expect(readIngestConfig({ WRITE_LINGER: '0' }).WRITE_LINGER).toBe(0);
    expect(readIngestConfig({ WRITE_LINGER: '5ms' }).WRITE_LINGER).toBe(5);
    expect(() => readIngestConfig({ WRITE_LINGER: '1s' })).toThrow(/WRITE_LINGER="1s"/);
  });

  it('picks a seed profile and overrides single settings of it', () => {
    const profile = profileFromConfig(
      readIngestConfig({
        IDEMPOTENCY_PROFILE: 'getmailer',
        IDEMPOTENCY_RETENTION: '2h',
        IDEMPOTENCY_MISMATCH_STATUS: '422',
        IDEMPOTENCY_METHODS: 'post, put',
        IDEMPOTENCY_IN_FLIGHT: 'conflict',
      }),
    );
    expect(profile).toMatchObject({
      name: 'getmailer',
      scope: 'api_key',
      retentionMs: 7_200_000,
      mismatchStatus: 422,
      methods: ['POST', 'PUT'],
      inFlight: 'conflict',
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => readIngestConfig({ IDEMPOTENCY_PROFILE: 'stripe' })).toThrow(/IDEMPOTENCY_PROFILE="stripe"/);
    expect(() => readIngestConfig({ IDEMPOTENCY_MISMATCH_STATUS: '418' })).toThrow(
      /IDEMPOTENCY_MISMATCH_STATUS/,
    );
    expect(() => readIngestConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});
