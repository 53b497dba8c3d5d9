import { useEffect, useState } from 'preact/hooks';
import { api, Problem } from '../api.js';
import { clock, dateTime, duration } from '../format.js';
import type { MessageDetail, SearchResult } from '../model.js';

/**
 * Search by message id, message key or Kafka key (`<account id>/<message key>`); the chosen message's event
 * timeline and provider attempts, read again at every live update.
 */
export function MessageSearch({
  refreshAt,
  inspect,
  onInspect,
  onFailure,
}: {
  /** Changes at every live update: the shown message is read again then. */
  refreshAt: string;
  /** A message to show, chosen elsewhere (a dead letter's). */
  inspect: string | undefined;
  onInspect(messageId: string): void;
  onFailure(error: unknown): void;
}) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<SearchResult | undefined>();
  const [searchError, setSearchError] = useState<string | undefined>();
  const [detail, setDetail] = useState<MessageDetail | undefined>();

  const search = async (event: Event) => {
    event.preventDefault();
    setSearchError(undefined);
    try {
      const found = await api.search(query);
      setResult(found);
      if (found.matches[0]) onInspect(found.matches[0].id);
      else setSearchError('No message matches.');
    } catch (error) {
      if (error instanceof Problem) setSearchError(error.message);
      else onFailure(error);
    }
  };

  useEffect(() => {
    if (inspect === undefined) return undefined;
    let current = true;
    api
      .message(inspect)
      .then((found) => {
        if (current) setDetail(found);
      })
      .catch((error: unknown) => {
        if (!current) return;
        if (error instanceof Problem) setSearchError(error.message);
        else onFailure(error);
      });
    return () => {
      current = false;
    };
  }, [inspect, refreshAt]);

  return (
    <>
      <form class="search" onSubmit={search}>
        <input
          type="search"
          name="q"
          aria-label="message id, message key or account/key"
          placeholder="msg_…, a message key, or acc_…/key"
          value={query}
          onInput={(event) => setQuery((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={query.trim() === ''}>
          Search
        </button>
      </form>
      {searchError && (
        <p class="error" role="alert">
          {searchError}
        </p>
      )}
      {result && result.matches.length > 1 && (
        <ul class="matches">
          {result.matches.map((match) => (
            <li key={match.id}>
              <button type="button" class="link" onClick={() => onInspect(match.id)}>
                {match.id}
              </button>{' '}
              <span class="muted">
                {match.accountId} · {match.messageKey} · {match.status}
              </span>
            </li>
          ))}
        </ul>
      )}
      {detail && detail.id === inspect && <MessageView message={detail} />}
    </>
  );
}

function MessageView({ message }: { message: MessageDetail }) {
  const first = Date.parse(message.events[0]?.at ?? message.createdAt);
  return (
    <div class="message" data-testid="message-detail">
      <dl class="figures">
        <div>
          <dt>message</dt>
          <dd>
            <code>{message.id}</code>
          </dd>
        </div>
        <div>
          <dt>status</dt>
          <dd class={`status ${message.status}`} data-testid="message-status">
            {message.status}
          </dd>
        </div>
        <div>
          <dt>account · key</dt>
          <dd>
            <code>{message.accountId}</code> · <code>{message.messageKey}</code>
          </dd>
        </div>
        <div>
          <dt>channel</dt>
          <dd>
            {message.channel}: {message.from} → {message.to}
          </dd>
        </div>
      </dl>

      <h3>Timeline</h3>
      <ol class="timeline" data-testid="timeline">
        {message.events.map((event) => (
          <li key={event.version} data-type={event.type}>
            <div class="event-head">
              <span class="event-type">{event.type}</span>
              <span class="muted">
                v{event.version} · {clock(event.at)} · +{duration(Date.parse(event.at) - first)}
              </span>
            </div>
            <pre>{JSON.stringify(event.data, null, 2)}</pre>
          </li>
        ))}
      </ol>

      <h3>Provider attempts</h3>
      {message.effect && (
        <p class="muted">
          effect <code>{message.effect.id}</code> · {message.effect.provider} · {message.effect.state} ·
          attempt {message.effect.attempt} of {message.effect.maxAttempts}
          {message.effect.resumes > 0 ? ` · resumed ${message.effect.resumes}×` : ''}
          {message.effect.state === 'pending' ? ` · next at ${clock(message.effect.dueAt)}` : ''}
        </p>
      )}
      {message.attempts.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <div class="scroll">
          <table data-testid="attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>provider</th>
                <th>outcome</th>
                <th>started</th>
                <th>took</th>
                <th>details</th>
              </tr>
            </thead>
            <tbody>
              {message.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <td>{attempt.attempt}</td>
                  <td>{attempt.provider}</td>
                  <td class={`outcome ${attempt.outcome}`}>
                    {attempt.outcome}
                    {attempt.replayed ? ' (replayed)' : ''}
                  </td>
                  <td class="nowrap">{clock(attempt.startedAt)}</td>
                  <td class="nowrap">
                    {duration(Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt))}
                  </td>
                  <td>
                    {attempt.error ?? attempt.providerMessageId ?? ''}
                    {attempt.resumes > 0 ? ` · resumed ${attempt.resumes}×` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {message.inbox && (
        <p class="muted">
          Inbox: command received {dateTime(message.inbox.receivedAt)} from {message.inbox.topic} · p
          {message.inbox.partition} · @{message.inbox.offset}
        </p>
      )}
      {message.deadLetters.length > 0 && (
        <p class="error">
          Dead letters:{' '}
          {message.deadLetters.map((letter) => `#${letter.id} ${letter.code} (${letter.reason})`).join('; ')}
        </p>
      )}
    </div>
  );
}
