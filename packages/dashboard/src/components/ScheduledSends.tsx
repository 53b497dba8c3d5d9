import { useState } from 'preact/hooks';
import { count, dateTime } from '../format.js';
import type { ScheduledView } from '../model.js';

type Filter = 'all' | 'pending' | 'cancelled';

/**
 * Sends asked for later (`send_at`): how many wait, were released or were cancelled, and which
 * ones, filtered by state. Read-only: a client changes or cancels its own through the API
 * (`exactly messages reschedule | cancel`).
 */
export function ScheduledSends({
  scheduled,
  onInspect,
}: {
  scheduled: ScheduledView | null | undefined;
  onInspect(messageId: string): void;
}) {
  const [filter, setFilter] = useState<Filter>('all');
  if (scheduled === undefined) return <p class="muted">This console does not read the schedule.</p>;
  if (scheduled === null) return <p class="muted">Not read (see the sources below).</p>;
  const rows = scheduled.latest.filter((row) => filter === 'all' || row.state === filter);
  return (
    <>
      <p class="muted" data-testid="scheduled-counts">
        {count(scheduled.counts.pending)} scheduled, {count(scheduled.counts.released)} released,{' '}
        {count(scheduled.counts.cancelled)} cancelled.
        {scheduled.nextDueAt === null ? '' : ` Next due ${dateTime(scheduled.nextDueAt)}.`}
      </p>
      <label>
        Show{' '}
        <select
          value={filter}
          data-testid="scheduled-filter"
          onChange={(event) => setFilter((event.target as HTMLSelectElement).value as Filter)}
        >
          <option value="all">scheduled and cancelled</option>
          <option value="pending">scheduled</option>
          <option value="cancelled">cancelled</option>
        </select>
      </label>
      {rows.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="scroll">
          <table class="scheduled" data-testid="scheduled-sends">
            <thead>
              <tr>
                <th>Message</th>
                <th>To</th>
                <th>State</th>
                <th>Due</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.messageId}>
                  <td>
                    <button type="button" class="link" onClick={() => onInspect(row.messageId)}>
                      {row.messageId}
                    </button>
                  </td>
                  <td>
                    {row.channel} · {row.recipient}
                  </td>
                  <td>{row.state === 'pending' ? 'scheduled' : row.state}</td>
                  <td>{dateTime(row.dueAt)}</td>
                  <td>{dateTime(row.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
