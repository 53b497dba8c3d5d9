/**
 * Repeats `fault` while `load` runs (at most `maxFaults` times), then waits for the load. A fault
 * that started before the load ended runs to its end, so every fault is lifted on return.
 */
export async function duringLoad(
  load: Promise<void>,
  fault: (round: number) => Promise<void>,
  maxFaults = Number.POSITIVE_INFINITY,
): Promise<void> {
  let finished = false;
  const loading = load.finally(() => {
    finished = true;
  });
  try {
    for (let round = 0; round < maxFaults && !finished; round++) await fault(round);
  } finally {
    await loading;
  }
}

/** A seeded Fisher-Yates shuffle. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
