import { inboxHorizon } from './inboxHorizon.js';
import { formatDuration } from './planReplay.js';

describe('the inbox horizon', () => {
  const now = new Date('2026-11-22T12:00:00Z');

  it('is the retention less the relay’s longest lag before now', () => {
    expect(inboxHorizon(now, { retentionMs: 30 * 86_400_000, relayMaxLagMs: 86_400_000 })).toEqual(
      new Date('2026-10-24T12:00:00Z'),
    );
  });

  it('is now when the lag eats the whole retention, and absent when the inbox keeps everything', () => {
    expect(inboxHorizon(now, { retentionMs: 3_600_000, relayMaxLagMs: 86_400_000 })).toEqual(now);
    expect(inboxHorizon(now, { retentionMs: Number.POSITIVE_INFINITY, relayMaxLagMs: 0 })).toBeUndefined();
  });

  it('formats durations as the configuration writes them', () => {
    expect([
      formatDuration(30 * 86_400_000),
      formatDuration(5_400_000),
      formatDuration(1_500),
      formatDuration(Infinity),
    ]).toEqual(['30d', '90m', '1500ms', 'forever']);
  });
});
