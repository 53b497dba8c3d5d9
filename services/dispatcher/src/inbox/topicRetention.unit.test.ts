import { inboxRetentionProblem } from './topicRetention.js';

const day = 86_400_000;

describe('whether the inbox remembers commands as long as Kafka can deliver them again', () => {
  it('accepts an inbox that outlives retention + segment roll + relay lag', () => {
    expect(
      inboxRetentionProblem(15 * day, day, 't', { retentionMs: 7 * day, segmentMs: 7 * day }),
    ).toBeUndefined();
  });

  it('refuses a shorter inbox and says by how much', () => {
    const problem = inboxRetentionProblem(10 * day, day, 't', { retentionMs: 7 * day, segmentMs: 7 * day });
    expect(problem).toMatch(
      /INBOX_RETENTION is 864000000 ms \(10\.00 days\).*can arrive again for 1296000000 ms/,
    );
  });

  it('requires a forever inbox for a topic that keeps records forever', () => {
    const forever = { retentionMs: Number.POSITIVE_INFINITY, segmentMs: day };
    expect(inboxRetentionProblem(365 * day, day, 't', forever)).toMatch(/forever/);
    expect(inboxRetentionProblem(Number.POSITIVE_INFINITY, day, 't', forever)).toBeUndefined();
  });
});
