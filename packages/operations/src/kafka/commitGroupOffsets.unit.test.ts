import type { Kafka } from 'kafkajs';
import { commitGroupOffsets } from './commitGroupOffsets.js';

/** A kafkajs client whose private cluster answers each commit with the next of `answers` (an error type, or undefined for success). */
function fakeKafka(answers: (string | undefined)[]) {
  const calls = { findCoordinator: 0, commit: 0 };
  const cluster = {
    connect: async () => {},
    disconnect: async () => {},
    findGroupCoordinator: async () => {
      calls.findCoordinator += 1;
      return {
        offsetCommit: async () => {
          const type = answers[calls.commit++];
          if (type !== undefined) throw Object.assign(new Error(type), { type });
        },
      };
    },
  };
  const kafka = { [Symbol('private:Kafka:createCluster')]: () => cluster };
  return { kafka: kafka as unknown as Kafka, calls };
}

const offsets = [{ partition: 0, offset: 5 }];

describe('committing a group’s offsets when the coordinator moves', () => {
  it('finds the coordinator again and commits', async () => {
    const { kafka, calls } = fakeKafka(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', undefined]);
    expect(await commitGroupOffsets(kafka, 'group', 'topic', offsets)).toEqual({ status: 'committed' });
    expect(calls).toEqual({ findCoordinator: 3, commit: 3 });
  });

  it('gives up after a bounded number of attempts', async () => {
    const { kafka, calls } = fakeKafka(Array(10).fill('NOT_COORDINATOR'));
    await expect(commitGroupOffsets(kafka, 'group', 'topic', offsets)).rejects.toMatchObject({
      type: 'NOT_COORDINATOR',
    });
    expect(calls.commit).toBe(6);
  });

  it('answers that the group has members without retrying, and rethrows other errors at once', async () => {
    const members = fakeKafka(['UNKNOWN_MEMBER_ID']);
    expect(await commitGroupOffsets(members.kafka, 'group', 'topic', offsets)).toEqual({
      status: 'group_has_members',
    });
    const other = fakeKafka(['TOPIC_AUTHORIZATION_FAILED']);
    await expect(commitGroupOffsets(other.kafka, 'group', 'topic', offsets)).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(other.calls.commit).toBe(1);
  });
});
