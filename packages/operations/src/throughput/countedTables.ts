import type { CountedTable } from './countByPosition.js';

const quoted = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * The event store's rows counted per bucket, each event type under the series it names
 * (`{ MessageAccepted: 'accepted' }`); other types are not counted.
 */
export function countedMessageEvents(seriesByType: Readonly<Record<string, string>>): CountedTable {
  const entries = Object.entries(seriesByType);
  return {
    table: 'message_events',
    position: 'global_position',
    createdAt: 'created_at',
    category: `CASE type ${entries.map(([type, series]) => `WHEN ${quoted(type)} THEN ${quoted(series)}`).join(' ')} END`,
    where: `type IN (${entries.map(([type]) => quoted(type)).join(', ')})`,
  };
}

/** Every dead letter, counted per bucket under one series. */
export function countedDeadLetters(series: string): CountedTable {
  return {
    table: 'dead_letters',
    position: 'id',
    createdAt: 'created_at',
    category: quoted(series),
    where: 'true',
  };
}
