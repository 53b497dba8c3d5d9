/**
 * The turbo runs `stack test` makes, side by side. The cross-service suites (`@exactly/test`: the
 * fault suite, the model test, conformance, end to end) take about as long as every other
 * workspace together, and mostly wait on processes, brokers and timers; so a full run gives them a
 * lane of their own beside one lane for all the rest, each lane one workspace at a time. Every
 * jest run has a database of its own and its tests make topics of their own, so the lanes share
 * only the servers. A run the caller filters (`--filter=…`) is one lane, as asked.
 */
export const crossServiceSuites = '@exactly/test';

export function testLanes(turboArgs: readonly string[]): string[][] {
  if (turboArgs.some((arg) => arg === '--filter' || arg.startsWith('--filter=') || arg === '-F'))
    return [[...turboArgs]];
  return [
    [`--filter=${crossServiceSuites}`, ...turboArgs],
    [`--filter=!${crossServiceSuites}`, ...turboArgs],
  ];
}
