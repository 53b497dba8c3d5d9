import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, SignedOut, watchSnapshots } from './api.js';
import { DeadLetters } from './components/DeadLetters.js';
import { HeldMessages } from './components/HeldMessages.js';
import { Login } from './components/Login.js';
import { MessageSearch } from './components/MessageSearch.js';
import { Overview } from './components/Overview.js';
import { ScheduledSends } from './components/ScheduledSends.js';
import { WebhookEndpoints } from './components/WebhookEndpoints.js';
import { clock } from './format.js';
import type { DashboardSnapshot } from './model.js';

type Session = 'checking' | 'signed-out' | 'signed-in';

export function App() {
  const [session, setSession] = useState<Session>('checking');
  const [signedOutReason, setSignedOutReason] = useState<string | undefined>();
  const [snapshot, setSnapshot] = useState<DashboardSnapshot | undefined>();
  const [connection, setConnection] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [inspect, setInspect] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();

  const signedOut = useCallback((reason?: string) => {
    setSession('signed-out');
    setSignedOutReason(reason);
    setSnapshot(undefined);
  }, []);
  const onFailure = useCallback(
    (error: unknown) => {
      if (error instanceof SignedOut) signedOut('Your session ended; sign in again.');
      else setFailure(error instanceof Error ? error.message : String(error));
    },
    [signedOut],
  );

  useEffect(() => {
    api
      .signedIn()
      .then((yes) => (yes ? setSession('signed-in') : signedOut()))
      .catch(() => signedOut());
  }, []);

  useEffect(() => {
    if (session !== 'signed-in') return undefined;
    setConnection('connecting');
    return watchSnapshots({
      onSnapshot: setSnapshot,
      onState: setConnection,
      onClosed: () => {
        // Closed by an HTTP error: the session ended, or the server went away for good.
        api
          .signedIn()
          .then((yes) =>
            yes ? setConnection('reconnecting') : signedOut('Your session ended; sign in again.'),
          )
          .catch(() => setConnection('reconnecting'));
      },
    });
  }, [session]);

  // A stream closed by the server while still signed in: open it again after a pause.
  useEffect(() => {
    if (session !== 'signed-in' || connection !== 'reconnecting') return undefined;
    const retry = setTimeout(() => {
      setSession('checking');
      setSession('signed-in');
    }, 5_000);
    return () => clearTimeout(retry);
  }, [session, connection]);

  if (session === 'checking') return <main class="loading">Loading…</main>;
  if (session === 'signed-out')
    return <Login reason={signedOutReason} onSignedIn={() => setSession('signed-in')} />;

  const failedSources = snapshot?.sources.filter((source) => !source.ok) ?? [];
  return (
    <>
      <header class="bar">
        <h1>Exactly · operations</h1>
        <span class={`live ${connection}`} data-testid="connection">
          {connection === 'live' ? '● live' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
        {snapshot && <span class="muted at">as of {clock(snapshot.at)}</span>}
        <button type="button" class="secondary" onClick={() => void api.signOut().finally(() => signedOut())}>
          Sign out
        </button>
      </header>
      {failure && (
        <p class="error banner" role="alert">
          {failure}{' '}
          <button type="button" class="link" onClick={() => setFailure(undefined)}>
            dismiss
          </button>
        </p>
      )}
      <main>
        {snapshot === undefined ? (
          <p class="muted">Waiting for the first sample…</p>
        ) : (
          <>
            <Overview snapshot={snapshot} />
            <section class="grid">
              <article class="card wide" id="messages">
                <h2>Find a message</h2>
                <MessageSearch
                  refreshAt={snapshot.at}
                  inspect={inspect}
                  onInspect={setInspect}
                  onFailure={onFailure}
                />
              </article>
              <article class="card wide" id="held">
                <h2>Held messages</h2>
                <HeldMessages
                  held={snapshot.held}
                  onInspect={(id) => {
                    setInspect(id);
                    document.getElementById('messages')?.scrollIntoView({ behavior: 'smooth' });
                  }}
                />
              </article>
              <article class="card wide" id="scheduled">
                <h2>Scheduled sends</h2>
                <ScheduledSends
                  scheduled={snapshot.scheduled}
                  onInspect={(id) => {
                    setInspect(id);
                    document.getElementById('messages')?.scrollIntoView({ behavior: 'smooth' });
                  }}
                />
              </article>
              <article class="card wide" id="dead-letters">
                <h2>Dead letters</h2>
                <DeadLetters
                  deadLetters={snapshot.deadLetters}
                  onInspect={(id) => {
                    setInspect(id);
                    document.getElementById('messages')?.scrollIntoView({ behavior: 'smooth' });
                  }}
                  onFailure={onFailure}
                />
              </article>
              <article class="card wide" id="webhooks">
                <h2>Webhook endpoints</h2>
                <WebhookEndpoints refreshAt={snapshot.at} onFailure={onFailure} />
              </article>
            </section>
            <footer class="sources">
              <h2>Sources</h2>
              <ul>
                {snapshot.sources.map((source) => (
                  <li key={source.source} class={source.ok ? 'ok' : 'bad'}>
                    {source.ok ? '●' : '✕'} {source.source}
                    {source.error ? `: ${source.error}` : ''}
                  </li>
                ))}
              </ul>
              {failedSources.length > 0 && (
                <p class="muted">
                  Figures from a source that did not answer show as gaps (–), never as zero.
                </p>
              )}
            </footer>
          </>
        )}
      </main>
    </>
  );
}
