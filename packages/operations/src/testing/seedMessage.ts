import { appendToStreams, type NewEvent } from '@exactly/message-store';
import { newId, type Orm, runSql } from '@exactly/persistence';

export interface SeedMessageOptions {
  /** An existing account; a new one (named `accountName`) otherwise. */
  accountId?: string;
  accountName?: string;
  messageId?: string;
  messageKey?: string;
  to?: string;
  content?: unknown;
  /** The projection's status; its version is 1 + the number of `later` events. */
  status?: string;
  /** Events after MessageAccepted (the dispatcher's, say). */
  later?: (messageId: string) => NewEvent[];
}

/**
 * An SMS message as the ingest API writes it (its row and MessageAccepted), with later events and
 * a status as given: a fixture for the operator tests of this package and of the CLI.
 */
export async function seedMessage(
  orm: Orm,
  options: SeedMessageOptions = {},
): Promise<{ accountId: string; messageId: string }> {
  const accountId = options.accountId ?? newId('acc');
  const messageId = options.messageId ?? newId('msg');
  const messageKey = options.messageKey ?? 'k';
  const to = options.to ?? '+15551234567';
  const later = options.later?.(messageId) ?? [];
  await orm.em.fork().transactional(async (em) => {
    if (options.accountId === undefined)
      await runSql(em, 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [
        accountId,
        options.accountName ?? 'seeded',
      ]);
    await runSql(
      em,
      `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
       VALUES ($1, $2, $3, 'sms', $4, 'Acme', $5, $6, $7)`,
      [
        messageId,
        accountId,
        messageKey,
        to,
        JSON.stringify(options.content ?? {}),
        options.status ?? 'accepted',
        1 + later.length,
      ],
    );
    await appendToStreams(em, [
      {
        streamId: messageId,
        expectedVersion: 0,
        events: [
          {
            type: 'MessageAccepted',
            data: { messageId, accountId, channel: 'sms', to, from: 'Acme', idempotencyKey: messageKey },
          },
          ...later,
        ],
      },
    ]);
  });
  return { accountId, messageId };
}

/**
 * A message the dispatcher held: its attempt 1 timed out after the request was sent, so whether
 * the provider sent it is unknown (its events, its `held` projection and its `held` effect).
 */
export async function seedHeldMessage(orm: Orm, accountName = 'held test'): Promise<string> {
  const { accountId, messageId } = await seedMessage(orm, {
    accountName,
    status: 'held',
    later: (id) => [
      { type: 'DispatchRequested', data: { provider: 'http', effectId: `eff_${id}` } },
      { type: 'MessageHeld', data: { provider: 'http', attempt: 1, reason: 'timed out after sending' } },
    ],
  });
  await runSql(
    orm.em.fork(),
    `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts,
                          state, attempt, last_error, call_started_at, finished_at)
     VALUES ($1, $2, $3, 'sms', 'http', $2, '{"channel":"sms","to":"+15551234567"}', 5, 'held', 1,
             'timed out after sending', now(), now())`,
    [`eff_${messageId}`, messageId, accountId],
  );
  return messageId;
}
