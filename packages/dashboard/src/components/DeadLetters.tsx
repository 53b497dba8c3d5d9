import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { count, dateTime } from '../format.js';
import type { DeadLettersView, RedriveResult } from '../model.js';

const outcomeText = (result: RedriveResult): string => {
  switch (result.outcome) {
    case 'redriven':
      return `re-published to ${result.topic}`;
    case 'already_redriven':
      return 'was already redriven; nothing sent again';
    case 'not_redrivable':
      return `not redrivable: ${result.reason}`;
    case 'not_found':
      return 'no longer exists';
  }
};

/**
 * The newest dead letters with their reasons. Redrive is `exactly dlq redrive <id>`: the record
 * goes back to its topic through the outbox, once, however often the button is pressed.
 */
export function DeadLetters({
  deadLetters,
  onInspect,
  onFailure,
}: {
  deadLetters: DeadLettersView | null;
  onInspect(messageId: string): void;
  onFailure(error: unknown): void;
}) {
  const [results, setResults] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState<number | undefined>();

  const redrive = async (id: number) => {
    setBusy(id);
    try {
      const result = await api.redrive(id);
      setResults((previous) => ({ ...previous, [id]: outcomeText(result) }));
    } catch (error) {
      onFailure(error);
    } finally {
      setBusy(undefined);
    }
  };

  if (deadLetters === null) return <p class="muted">Not read (see the sources below).</p>;
  return (
    <>
      <p class="muted">
        {count(deadLetters.total)}
        {deadLetters.capped ? '+' : ''} in all, {count(deadLetters.pending)}
        {deadLetters.capped ? '+' : ''} not redriven. Newest first.
      </p>
      {deadLetters.latest.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="scroll">
          <table class="dead-letters">
            <thead>
              <tr>
                <th>#</th>
                <th>when</th>
                <th>code</th>
                <th>reason</th>
                <th>from</th>
                <th>key</th>
                <th>redrive</th>
              </tr>
            </thead>
            <tbody>
              {deadLetters.latest.map((letter) => (
                <tr key={letter.id} data-testid={`dead-letter-${letter.id}`}>
                  <td data-label="#">{letter.id}</td>
                  <td class="nowrap" data-label="when">
                    {dateTime(letter.createdAt)}
                  </td>
                  <td data-label="code">
                    <code>{letter.code}</code>
                  </td>
                  <td class="reason" data-label="reason">
                    {letter.reason}
                    {letter.messageId && (
                      <>
                        {' '}
                        <button type="button" class="link" onClick={() => onInspect(letter.messageId ?? '')}>
                          message
                        </button>
                      </>
                    )}
                  </td>
                  <td class="nowrap" data-label="from">
                    {letter.source.topic} · p{letter.source.partition} · @{letter.source.offset}
                  </td>
                  <td class="key" data-label="key">
                    {letter.key ?? '–'}
                  </td>
                  <td class="redrive" data-label="redrive">
                    {letter.redrivenAt ? (
                      <span class="ok" data-testid="redriven">
                        redriven {dateTime(letter.redrivenAt)}
                      </span>
                    ) : letter.notRedrivable ? (
                      <span class="muted" title={letter.notRedrivable}>
                        cannot: {letter.notRedrivable}
                      </span>
                    ) : (
                      <button
                        type="button"
                        disabled={busy === letter.id}
                        onClick={() => void redrive(letter.id)}
                      >
                        {busy === letter.id ? 'Redriving…' : 'Redrive'}
                      </button>
                    )}
                    {results[letter.id] && <div class="muted">{results[letter.id]}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
