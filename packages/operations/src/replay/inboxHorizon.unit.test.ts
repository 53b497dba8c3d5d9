import { horizonSetBy, inboxHorizon } from './inboxHorizon.js';
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

  it('is moved closer by REPLAY_MAX_AGE when that is shorter, and only then', () => {
    const inbox = { retentionMs: 30 * 86_400_000, relayMaxLagMs: 86_400_000 };
    const shorter = { ...inbox, replayMaxAgeMs: 7 * 86_400_000 };
    expect(inboxHorizon(now, shorter)).toEqual(new Date('2026-11-15T12:00:00Z'));
    expect(horizonSetBy(shorter)).toBe('REPLAY_MAX_AGE');
    const longer = { ...inbox, replayMaxAgeMs: 60 * 86_400_000 };
    expect(inboxHorizon(now, longer)).toEqual(new Date('2026-10-24T12:00:00Z'));
    expect(horizonSetBy(longer)).toBe('INBOX_RETENTION');
    // An inbox kept forever still bounds replays by REPLAY_MAX_AGE.
    expect(
      inboxHorizon(now, {
        retentionMs: Number.POSITIVE_INFINITY,
        relayMaxLagMs: 0,
        replayMaxAgeMs: 86_400_000,
      }),
    ).toEqual(new Date('2026-11-21T12:00:00Z'));
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
