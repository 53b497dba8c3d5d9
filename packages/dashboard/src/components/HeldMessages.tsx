import { count, dateTime } from '../format.js';
import type { HeldView } from '../model.js';

/**
 * Messages held because a provider call may have gone out and no answer came. Read-only here:
 * resolving one is an operator's recorded decision, `exactly held resolve <id> --sent | --failed |
 * --send-again`, which says who decided and why.
 */
export function HeldMessages({
  held,
  onInspect,
}: {
  held: HeldView | null;
  onInspect(messageId: string): void;
}) {
  if (held === null) return <p class="muted">Not read (see the sources below).</p>;
  return (
    <>
      <p class="muted">
        {count(held.count)} held. Longest held first. Resolve each with{' '}
        <code>exactly held resolve &lt;id&gt; --sent | --failed | --send-again</code>.
      </p>
      {held.latest.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="scroll">
          <table class="held" data-testid="held-messages">
            <thead>
              <tr>
                <th>Message</th>
                <th>Provider</th>
                <th>Attempt</th>
                <th>Why</th>
                <th>Held since</th>
              </tr>
            </thead>
            <tbody>
              {held.latest.map((message) => (
                <tr key={message.messageId}>
                  <td>
                    <button type="button" class="link" onClick={() => onInspect(message.messageId)}>
                      {message.messageId}
                    </button>
                  </td>
                  <td>
                    {message.channel} · {message.provider}
                  </td>
                  <td>{message.attempt}</td>
                  <td>{message.reason}</td>
                  <td>{dateTime(message.heldAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
