import { readIngestConfig } from './config.js';

describe('the settings of the seed routes and of key waits', () => {
  it('default to a fictional caller id and a 50 s wait, below the 60 s connection timeout', () => {
    expect(readIngestConfig({})).toMatchObject({ TRUEDY_CALLER_ID: '+15550100000', KEY_WAIT_MAX: 50_000 });
  });

  it('refuse a caller id that is not E.164, and a wait the connection timeout would cut', () => {
    expect(() => readIngestConfig({ TRUEDY_CALLER_ID: '555-0100' })).toThrow(/TRUEDY_CALLER_ID/);
    expect(() => readIngestConfig({ KEY_WAIT_MAX: '60s' })).toThrow(/KEY_WAIT_MAX/);
    expect(readIngestConfig({ KEY_WAIT_MAX: '2m', CONNECTION_TIMEOUT: '0' }).KEY_WAIT_MAX).toBe(120_000);
  });
});
