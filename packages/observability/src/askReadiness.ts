/** What one `/readyz` request said about one process. */
export type ReadinessAnswer =
  | { state: 'ready' }
  /** 200 from a process other than the one asked about: it holds the port. */
  | { state: 'another process'; pid: unknown }
  /** Not ready, not answering, or not a readiness answer: why, for the operator. */
  | { state: 'not ready'; detail: string };

/**
 * Asks the `/readyz` served by `registerOpsRoutes` at `baseUrl` whether process `pid` is ready.
 * Its 200 names the process that answered, so a port held by another service is not taken for
 * this one's readiness (the process asked about would fail to listen and exit).
 */
export async function askReadiness(
  baseUrl: string,
  pid: number | undefined,
  timeoutMs = 2_000,
): Promise<ReadinessAnswer> {
  let status: number;
  let body: string;
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    status = response.status;
    body = await response.text();
  } catch (error) {
    return { state: 'not ready', detail: (error as Error).message };
  }
  if (status !== 200) return { state: 'not ready', detail: `${status} ${body}` };
  let answeredBy: unknown;
  try {
    answeredBy = (JSON.parse(body) as { pid?: unknown }).pid;
  } catch {
    return { state: 'not ready', detail: `200 without a JSON body: ${body.slice(0, 200)}` };
  }
  return answeredBy === pid ? { state: 'ready' } : { state: 'another process', pid: answeredBy };
}
