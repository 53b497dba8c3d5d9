import { deciderSpec } from './deciderSpec.js';

type Event = { type: 'Added'; data: { n: number } };
type Command = { type: 'Add'; data: { n: number } };

const spec = deciderSpec({
  initialState: () => 0,
  evolve: (total: number, event: Event) => total + event.data.n,
  decide: (command: Command, total: number): Event[] => {
    if (total + command.data.n > 10) throw new RangeError('over ten');
    return [{ type: 'Added', data: { n: command.data.n } }];
  },
});

describe('a decider spec', () => {
  it('decides from the state the given events fold into', () => {
    spec
      .given([{ type: 'Added', data: { n: 4 } }])
      .when({ type: 'Add', data: { n: 6 } })
      .then([{ type: 'Added', data: { n: 6 } }]);
  });

  it('fails when the decision is not the expected one', () => {
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', data: { n: 1 } })
        .then([]),
    ).toThrow();
  });

  it('checks what the decider throws', () => {
    spec
      .given([{ type: 'Added', data: { n: 9 } }])
      .when({ type: 'Add', data: { n: 2 } })
      .thenThrows(RangeError);
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', data: { n: 1 } })
        .thenThrows(RangeError),
    ).toThrow();
  });
});
