import { computeReplayPlan, type ReplayState } from './computeReplayPlan.js';

const retention = { retentionMs: 3 * 86_400_000, relayMaxLagMs: 86_400_000 };

function state(overrides: Partial<ReplayState> = {}): ReplayState {
  return {
    topic: 'commands',
    group: 'dispatchers',
    members: [],
    partitions: [
      { partition: 0, low: 0, high: 100, committed: 100, stored: 100 },
      { partition: 1, low: 10, high: 50, committed: 40, stored: 50 },
    ],
    startOffsets: new Map([
      [0, 0],
      [1, 10],
    ]),
    ...overrides,
  };
}

describe('planning a replay', () => {
  it('moves every partition to its start and counts the records read again from where the group stands', () => {
    const plan = computeReplayPlan(state(), { kind: 'earliest' });
    expect(plan).toMatchObject({
      kind: 'plan',
      records: 140,
      skipped: 0,
      partitions: [
        { partition: 0, from: 100, to: 0, records: 100 },
        // The stored offset is ahead of Kafka's committed one: the group really stands at 50.
        { partition: 1, from: 50, committed: 40, stored: 50, to: 10, records: 40 },
      ],
    });
  });

  it('counts records jumped over when the start is ahead of the group', () => {
    const plan = computeReplayPlan(state({ startOffsets: new Map([[1, 50]]) }), {
      kind: 'offsets',
      offsets: new Map([[1, 50]]),
    });
    expect(plan).toMatchObject({
      kind: 'plan',
      partitions: [{ partition: 1, from: 50, to: 50, records: 0 }],
    });
    const forward = computeReplayPlan(
      state({
        partitions: [{ partition: 0, low: 0, high: 100, committed: 20, stored: 20 }],
        startOffsets: new Map([[0, 60]]),
      }),
      { kind: 'offsets', offsets: new Map([[0, 60]]) },
    );
    expect(forward).toMatchObject({ kind: 'plan', records: 0, skipped: 40 });
  });

  it('refuses while the group has live members, naming them', () => {
    const refusal = computeReplayPlan(
      state({
        members: [{ memberId: 'm-1', clientId: 'exactly-dispatcher', host: '/10.0.0.7', assignment: {} }],
      }),
      { kind: 'earliest' },
    );
    expect(refusal).toMatchObject({ kind: 'refused', reason: 'live_members' });
    expect(refusal.kind === 'refused' && refusal.message).toMatch(
      /1 live member.*exactly-dispatcher@\/10\.0\.0\.7.*--into-group/,
    );
  });

  it('plans a dry run while the group has live members, and says the real run needs them stopped', () => {
    const plan = computeReplayPlan(
      state({
        members: [{ memberId: 'm-1', clientId: 'exactly-dispatcher', host: '/10.0.0.7', assignment: {} }],
      }),
      { kind: 'earliest' },
      { dryRun: true },
    );
    expect(plan).toMatchObject({ kind: 'plan', records: 140 });
    expect(plan.kind === 'plan' && plan.needs).toEqual([
      "stop group dispatchers's 1 live member(s) (exactly-dispatcher@/10.0.0.7)",
    ]);
  });

  it('replays into a fresh group from the start up to the end, and refuses a group that has offsets', () => {
    const fresh = state({
      group: 'audit',
      sourceGroup: 'dispatchers',
      partitions: [
        { partition: 0, low: 0, high: 100, committed: null, stored: null },
        { partition: 1, low: 10, high: 50, committed: null, stored: null },
      ],
    });
    expect(computeReplayPlan(fresh, { kind: 'earliest' })).toMatchObject({
      kind: 'plan',
      group: 'audit',
      sourceGroup: 'dispatchers',
      records: 140,
      partitions: [{ from: null }, { from: null }],
    });
    const used = state({ group: 'audit', sourceGroup: 'dispatchers' });
    expect(computeReplayPlan(used, { kind: 'earliest' })).toMatchObject({
      kind: 'refused',
      reason: 'group_not_fresh',
    });
  });

  it('refuses a start that re-reads records older than the inbox horizon', () => {
    const horizon = {
      at: new Date('2026-11-20T00:00:00Z'),
      retention,
      offsets: new Map([
        [0, 30],
        [1, 10],
      ]),
    };
    const refusal = computeReplayPlan(state({ horizon }), { kind: 'earliest' });
    expect(refusal).toMatchObject({
      kind: 'refused',
      reason: 'beyond_horizon',
      beyondHorizon: [{ partition: 0, offset: 0, horizonOffset: 30 }],
      horizon: { at: horizon.at },
    });
    // Starting at the horizon is fine, and so is a replay that re-reads nothing old.
    const atHorizon = state({
      horizon,
      startOffsets: new Map([
        [0, 30],
        [1, 10],
      ]),
    });
    expect(computeReplayPlan(atHorizon, { kind: 'timestamp', at: horizon.at })).toMatchObject({
      kind: 'plan',
      records: 110,
    });
    const behind = state({
      horizon,
      partitions: [{ partition: 0, low: 0, high: 100, committed: 5, stored: 5 }],
      startOffsets: new Map([[0, 0]]),
    });
    expect(computeReplayPlan(behind, { kind: 'earliest' })).toMatchObject({
      kind: 'refused',
      reason: 'beyond_horizon',
    });
  });

  it('refuses offsets outside a partition, or partitions the topic does not have', () => {
    expect(computeReplayPlan(state(), { kind: 'offsets', offsets: new Map([[1, 5]]) })).toMatchObject({
      kind: 'refused',
      reason: 'offset_out_of_range',
      message: expect.stringMatching(/10 to 50/),
    });
    expect(computeReplayPlan(state(), { kind: 'offsets', offsets: new Map([[7, 0]]) })).toMatchObject({
      kind: 'refused',
      reason: 'unknown_partition',
    });
  });
});
