import { checkCommandOrder, checkEventOrder, commandsMissingFromTopic } from './topicEvidence.ts';

describe('the order checker of the events topic', () => {
  it('accepts each stream in version order, and counts stale re-publishes without failing', () => {
    const versions = new Map([
      ['m-1', [1, 2, 3]],
      ['m-2', [1, 2, 2, 3]],
      ['m-3', [1, 2, 3, 2, 3]],
    ]);
    expect(checkEventOrder(versions)).toEqual({ violations: [], staleRepeats: 1 });
  });

  it('reports a version that first arrives after a newer one', () => {
    expect(checkEventOrder(new Map([['m-1', [1, 3, 2]]])).violations).toEqual([
      "message m-1's events are out of order on the events topic: 1, 3, 2",
    ]);
  });

  it('reports a gap, and a stream that does not start at version 1', () => {
    expect(
      checkEventOrder(
        new Map([
          ['m-1', [1, 3]],
          ['m-2', [2, 3]],
        ]),
      ).violations,
    ).toEqual([
      "message m-1's events skip from version 1 to 3 on the events topic: 1, 3",
      "message m-2's events skip from version 0 to 2 on the events topic: 2, 3",
    ]);
  });
});

describe('the loss checker of the commands topic', () => {
  it('names the acknowledged commands the topic never received', () => {
    expect(
      commandsMissingFromTopic(
        ['a', 'b', 'c'],
        new Map([
          ['a', 1],
          ['c', 2],
        ]),
      ),
    ).toEqual(['b']);
  });
});

describe('the commit-order checker of the commands topic', () => {
  const windows = new Map([
    ['first', { calledAt: 100, acknowledgedAt: 200 }],
    ['second', { calledAt: 300, acknowledgedAt: 400 }],
    ['overlapping', { calledAt: 150, acknowledgedAt: 250 }],
  ]);

  it('accepts a key whose commands arrive in the order they were committed, and counts it', () => {
    expect(checkCommandOrder(new Map([['acc/k', ['first', 'second']]]), windows)).toEqual({
      violations: [],
      keysWithSeveral: 1,
    });
  });

  it('reports a command that arrives before one committed before its call began', () => {
    expect(checkCommandOrder(new Map([['acc/k', ['second', 'first']]]), windows).violations).toEqual([
      'key acc/k: command first was committed before second was even sent, yet reached the commands topic after it: second, first',
    ]);
  });

  it('keeps no order between commands whose calls overlapped, nor for a key with one command', () => {
    const order = new Map([
      ['acc/k', ['overlapping', 'first']],
      ['acc/j', ['second']],
    ]);
    expect(checkCommandOrder(order, windows)).toEqual({ violations: [], keysWithSeveral: 1 });
  });
});
