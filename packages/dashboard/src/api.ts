import type { WebhookEndpoint } from '@exactly/contracts';
import type { DashboardSnapshot, MessageDetail, RedriveResult, SearchResult } from './model.js';

const base = '/dashboard/api';

/** The server refused because nobody is signed in (or the session expired). */
export class SignedOut extends Error {}

/** A problem the server explained (RFC 9457 `detail`), shown as it is. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
    throw new Problem(
      response.status,
      problem.detail ?? problem.title ?? `the server answered ${response.status}`,
    );
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export const api = {
  /** Signs in with the operator token: the server answers with a session cookie; the token stays out of URLs. */
  async signIn(token: string): Promise<'ok' | 'refused'> {
    try {
      await call<void>('POST', '/session', { token });
      return 'ok';
    } catch (error) {
      if (error instanceof SignedOut) return 'refused';
      throw error;
    }
  },
  signedIn: async () => (await call<{ signedIn: boolean }>('GET', '/session')).signedIn,
  signOut: () => call<void>('DELETE', '/session'),
  snapshot: () => call<DashboardSnapshot>('GET', '/snapshot'),
  search: (query: string) => call<SearchResult>('GET', `/messages?q=${encodeURIComponent(query)}`),
  message: (id: string) => call<MessageDetail>('GET', `/messages/${encodeURIComponent(id)}`),
  redrive: (id: number) => call<RedriveResult>('POST', `/dead-letters/${id}/redrive`, {}),
  webhookEndpoints: () => call<{ data: WebhookEndpoint[] }>('GET', '/webhook-endpoints'),
};

/**
 * Live snapshots over server-sent events. EventSource reconnects by itself after a network
 * error; an HTTP error (the session ended) closes it, and `onClosed` decides what follows.
 */
export function watchSnapshots(handlers: {
  onSnapshot(snapshot: DashboardSnapshot): void;
  onState(state: 'live' | 'reconnecting'): void;
  onClosed(): void;
}): () => void {
  const source = new EventSource(`${base}/events`);
  source.addEventListener('snapshot', (event) => {
    handlers.onSnapshot(JSON.parse((event as MessageEvent<string>).data) as DashboardSnapshot);
    handlers.onState('live');
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) handlers.onClosed();
    else handlers.onState('reconnecting');
  });
  return () => source.close();
}
