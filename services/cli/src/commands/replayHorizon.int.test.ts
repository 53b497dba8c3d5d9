import { randomUUID } from 'node:crypto';
import { createKafka } from '@exactly/messaging';
import type { Admin, Kafka } from 'kafkajs';
import { exactly } from '../testing/runExactly.js';

// Replays reaching past the dispatcher's inbox horizon: records written before now − (INBOX_RETENTION
// − RELAY_MAX_LAG) may belong to commands whose inbox rows are gone, so a replay from there is refused.

const day = 86_400_000;

describe('a replay that reaches past the inbox horizon', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topic = `cli-horizon-${randomUUID().slice(0, 12)}`;
  const group = `cli-horizon-${randomUUID().slice(0, 12)}`;
  const oldRecordAt = new Date(Date.now() - 5 * day);
  const env = { COMMANDS_TOPIC: topic, CONSUMER_GROUP: group };

  beforeAll(async () => {
    kafka = createKafka({
      brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
      clientId: 'cli-horizon-test',
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { partition: 0, value: '{"old":1}', timestamp: String(oldRecordAt.getTime()) },
        { partition: 0, value: '{"old":2}', timestamp: String(oldRecordAt.getTime() + 1_000) },
        { partition: 0, value: '{"new":1}' },
        { partition: 1, value: '{"new":2}' },
      ],
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('is refused with exit 3, naming the date of the oldest record it would re-read and the horizon', async () => {
    const before = Date.now();
    const refused = await exactly(
      ['replay', '--to-earliest', '--inbox-retention', '3d', '--relay-max-lag', '1d'],
      env,
    );
    // With its stderr, so a failure shows why (CI once saw exit 5, unavailable, with no more said).
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 3, stderr: expect.any(String) });
    expect(refused.stderr).toContain(`written on ${oldRecordAt.toISOString()} (partition 0, offset 0)`);
    const horizon = /older than the inbox horizon (\S+Z)/.exec(refused.stderr)?.[1] ?? '';
    expect(Date.parse(horizon)).toBeGreaterThanOrEqual(before - 2 * day);
    expect(Date.parse(horizon)).toBeLessThanOrEqual(Date.now() - 2 * day);
    expect(refused.stderr).toMatch(
      /INBOX_RETENTION 3d \+ RELAY_MAX_LAG 1d\).*could run a second time.*--to-datetime/s,
    );
    // Nothing moved.
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(offsets?.partitions.map((entry) => entry.offset)).toEqual(['-1', '-1']);
  });

  it('is refused for a start time before the horizon too, read from INBOX_RETENTION, and explained in JSON', async () => {
    const at = new Date(Date.now() - 6 * day).toISOString();
    const refused = await exactly(['replay', '--to-datetime', at, '--json'], {
      ...env,
      INBOX_RETENTION: '3d',
    });
    expect(refused).toMatchObject({
      code: 3,
      json: {
        kind: 'refused',
        reason: 'beyond_horizon',
        beyondHorizon: [{ partition: 0, offset: 0, horizonOffset: 2 }],
        horizon: { retention: { retentionMs: 3 * day, relayMaxLagMs: day } },
      },
    });
    expect(refused.stderr).toContain(`written on ${oldRecordAt.toISOString()}`);
    // A start time after the old records re-reads only newer ones: not refused.
    const after = new Date(Date.now() - 4 * day).toISOString();
    expect(
      (await exactly(['replay', '--to-datetime', after, '--dry-run'], { ...env, INBOX_RETENTION: '3d' }))
        .code,
    ).toBe(0);
  });

  it('is refused past REPLAY_MAX_AGE when that is closer than the inbox horizon, naming it', async () => {
    const refused = await exactly(['replay', '--to-earliest'], { ...env, REPLAY_MAX_AGE: '4d' });
    // With its stderr, so a failure shows why (CI once saw exit 5, unavailable, with no more said).
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 3, stderr: expect.any(String) });
    expect(refused.stderr).toContain(`written on ${oldRecordAt.toISOString()} (partition 0, offset 0)`);
    expect(refused.stderr).toMatch(/now − REPLAY_MAX_AGE 4d, the longest replay allowed\)/);
    // Longer than the inbox horizon, it changes nothing: the inbox's 3 days still refuse.
    const inbox = await exactly(['replay', '--to-earliest'], {
      ...env,
      INBOX_RETENTION: '3d',
      REPLAY_MAX_AGE: '40d',
    });
    expect(inbox.stderr).toMatch(/INBOX_RETENTION 3d \+ RELAY_MAX_LAG 1d\)/);
    // Within it, the replay is planned, and the plan names what set the horizon.
    const planned = await exactly(['replay', '--to-earliest', '--dry-run'], { ...env, REPLAY_MAX_AGE: '6d' });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/inbox horizon \S+Z \(REPLAY_MAX_AGE 6d\): every record re-read is newer/);
  });

  it('plans a start at or after the horizon, and anything when the inbox keeps every command', async () => {
    const recent = await exactly(['replay', '--to-datetime', '1h', '--dry-run', '--json'], {
      ...env,
      INBOX_RETENTION: '3d',
    });
    expect(recent).toMatchObject({
      code: 0,
      json: {
        records: 2,
        partitions: [
          { partition: 0, from: null, to: 2, records: 1 },
          { partition: 1, to: 0, records: 1 },
        ],
      },
    });
    const forever = await exactly(['replay', '--to-earliest', '--dry-run', '--json'], {
      ...env,
      INBOX_RETENTION: 'forever',
    });
    expect(forever).toMatchObject({ code: 0, json: { records: 4 } });
    expect(forever.json.horizon).toBeUndefined();
  });
});
