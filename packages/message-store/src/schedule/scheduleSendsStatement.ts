import type { SqlStatement } from '@exactly/persistence';

/** A message accepted for later: its row in the schedule. */
export interface NewScheduledSend {
  messageId: string;
  accountId: string;
  dueAt: Date;
  requestId: string;
  traceparent: string;
}

/**
 * The statement that puts accepted messages on the schedule (`pending`, version 1). Send it in
 * the accepting transaction, after their `messages` rows exist.
 */
export function scheduleSendsStatement(sends: readonly NewScheduledSend[]): SqlStatement {
  return {
    text: `INSERT INTO scheduled_sends (message_id, account_id, due_at, state, version, request_id, traceparent)
       SELECT t.message_id, t.account_id, t.due_at, 'pending', 1, t.request_id, t.traceparent
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[])
              AS t(message_id, account_id, due_at, request_id, traceparent)`,
    parameters: [
      sends.map((send) => send.messageId),
      sends.map((send) => send.accountId),
      sends.map((send) => send.dueAt.toISOString()),
      sends.map((send) => send.requestId),
      sends.map((send) => send.traceparent),
    ],
  };
}
