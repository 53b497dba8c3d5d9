import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { commitGroupOffsets } from './commitGroupOffsets.js';

// The error kafkajs itself throws for a broker's error code, so the types compared are kafkajs'
// names, never ones written here (which once were the Java client's and matched nothing).
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => Error & { type: string };
};

/** Kafka's error codes used below. */
const code = {
  groupLoadInProgress: 14,
  groupCoordinatorNotAvailable: 15,
  notCoordinatorForGroup: 16,
  unknownMemberId: 25,
  topicAuthorizationFailed: 29,
};

/**
 * A kafkajs client whose private cluster answers each commit with the next of `answers`: a Kafka
 * error code (thrown as kafkajs throws it), or undefined for success.
 */
function fakeKafka(answers: (number | undefined)[]) {
  const calls = { findCoordinator: 0, commit: 0 };
  const cluster = {
    connect: async () => {},
    disconnect: async () => {},
    findGroupCoordinator: async () => {
      calls.findCoordinator += 1;
      return {
        offsetCommit: async () => {
          const answer = answers[calls.commit++];
          if (answer !== undefined) throw createErrorFromCode(answer);
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
    const { kafka, calls } = fakeKafka([
      code.notCoordinatorForGroup,
      code.groupLoadInProgress,
      code.groupCoordinatorNotAvailable,
      undefined,
    ]);
    expect(await commitGroupOffsets(kafka, 'group', 'topic', offsets)).toEqual({ status: 'committed' });
    expect(calls).toEqual({ findCoordinator: 4, commit: 4 });
  });

  it('gives up after a bounded number of attempts', async () => {
    const { kafka, calls } = fakeKafka(Array(10).fill(code.notCoordinatorForGroup));
    await expect(commitGroupOffsets(kafka, 'group', 'topic', offsets)).rejects.toMatchObject({
      type: 'NOT_COORDINATOR_FOR_GROUP',
    });
    expect(calls.commit).toBe(6);
  });

  it('answers that the group has members without retrying, and rethrows other errors at once', async () => {
    const members = fakeKafka([code.unknownMemberId]);
    expect(await commitGroupOffsets(members.kafka, 'group', 'topic', offsets)).toEqual({
      status: 'group_has_members',
    });
    const other = fakeKafka([code.topicAuthorizationFailed]);
    await expect(commitGroupOffsets(other.kafka, 'group', 'topic', offsets)).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(other.calls.commit).toBe(1);
  });
});
