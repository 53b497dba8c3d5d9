/** A pure decision: a command and the current state in, a decision (events, and what else to do) out. */
export interface Decider<Command, Event, State, Decision> {
  decide: (command: Command, state: State) => Decision;
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

/**
 * Tests a decider as a story, with no database (after Emmett's `DeciderSpecification`):
 * `spec.given(pastEvents).when(command).then(expectedDecision)`, or `.thenThrows(expected)`.
 * The past events are folded with `evolve` from `initialState()`; `then` compares with `toEqual`.
 */
export function deciderSpec<Command, Event, State, Decision>(
  decider: Decider<Command, Event, State, Decision>,
) {
  return {
    given: (events: readonly Event[]) => ({
      when: (command: Command) => {
        const decide = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
        return {
          // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec's vocabulary; awaiting it by mistake fails loudly (the resolver is no decision)
          then: (expected: Decision) => expect(decide()).toEqual(expected),
          thenThrows: (expected?: string | RegExp | Error | (new (...args: never[]) => Error)) =>
            expect(decide).toThrow(expected),
        };
      },
    }),
  };
}
