import { eventually } from './eventually.js';

export type KeyStateName = 'in_progress' | 'completed' | 'unknown';

/**
 * Polls `GET /v1/idempotency-keys/:key` of the API at `url` until the key reads `state`, and
 * returns that answer. A request sent without awaiting reaches the idempotency engine only after
 * its HTTP parsing, authentication and quotas, which no fixed sleep promises on a loaded machine:
 * a test that needs a first request in flight waits for this instead. Throws after `timeoutMs`.
 */
export async function waitForKeyState(
  url: string,
  apiKey: string,
  key: string,
  state: KeyStateName,
  timeoutMs = 15_000,
): Promise<{ state: KeyStateName } & Record<string, unknown>> {
  let last: ({ state: KeyStateName } & Record<string, unknown>) | undefined;
  await eventually(
    `key ${key} to read ${state}`,
    async () => {
      const response = await fetch(`${url}/v1/idempotency-keys/${encodeURIComponent(key)}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      last = (await response.json()) as { state: KeyStateName } & Record<string, unknown>;
      return last.state === state;
    },
    timeoutMs,
    25,
  );
  return last as { state: KeyStateName } & Record<string, unknown>;
}
