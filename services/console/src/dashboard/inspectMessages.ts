import type { MessageDetail, SearchResult } from '@exactly/dashboard';
import {
  listEffectAttempts,
  listMessageDeadLetters,
  readEffect,
  readInboxEntry,
  readMessage,
  readMessageEvents,
  searchMessages as searchStoredMessages,
} from '@exactly/operations';
import type { Orm } from '@exactly/persistence';

type EntityManager = Orm['em'];

/** Messages of any account by message id, by Kafka key `<account>/<message key>`, or by message key alone. */
export function searchMessages(em: EntityManager, query: string): Promise<SearchResult> {
  return searchStoredMessages(em, query);
}

/**
 * A message with its event timeline (every event with its time and data), its provider effect and
 * attempts, the inbox row that deduplicated its command, and its dead letters: each read from the
 * package that owns its table.
 */
export async function inspectMessage(em: EntityManager, id: string): Promise<MessageDetail | undefined> {
  const message = await readMessage(em, id);
  if (message === undefined) return undefined;
  const events = await readMessageEvents(em, id);
  // The effect's id is in the DispatchRequested event: the dispatcher's own rule, read, not repeated.
  const effectId = events.map((event) => event.data.effectId).find((value) => typeof value === 'string');
  const [effect, attempts, inbox, deadLetters] = await Promise.all([
    effectId === undefined ? undefined : readEffect(em, effectId),
    effectId === undefined ? [] : listEffectAttempts(em, effectId),
    readInboxEntry(em, id),
    listMessageDeadLetters(em, id),
  ]);
  return { ...message, events, effect: effect ?? null, attempts, inbox: inbox ?? null, deadLetters };
}
