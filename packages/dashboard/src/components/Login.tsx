import { useState } from 'preact/hooks';
import { api } from '../api.js';

/** Sign-in with the operator token, sent in a POST body (never in a URL) for a session cookie. */
export function Login({ onSignedIn, reason }: { onSignedIn(): void; reason?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const outcome = await api.signIn(token);
      if (outcome === 'ok') {
        setToken('');
        onSignedIn();
      } else setError('That is not the operator token.');
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} method="post">
        <h1>Exactly · operations</h1>
        <p class="muted">
          Sign in with the operator token (OPERATOR_TOKEN of the ingest API). An account's API key does not
          open this page.
        </p>
        <label for="token">Operator token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy || token === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
