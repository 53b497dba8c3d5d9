/** Codes a redrive can never cure: the dispatcher would set the record aside again for the same reason. */
const hopeless: Record<string, string> = {
  replay_beyond_horizon: 'the command ran before; it must never run again',
  payload_conflict:
    'another payload was already handled under this command id; the same conflict would recur',
};

/** Why a dead letter cannot be redriven (undefined when it can): see `redriveDeadLetters`. */
export function notRedrivableReason(letter: {
  code: string;
  kafka_key: string | null;
  value: Buffer | null;
}): string | undefined {
  const hopelessReason = hopeless[letter.code];
  if (hopelessReason !== undefined) return `${letter.code}: ${hopelessReason}`;
  if (letter.kafka_key === null || letter.kafka_key === '') return 'the record had no key';
  if (redrivePayload(letter.value) === undefined) return 'the record value is not a JSON object';
  return undefined;
}

/** The record value as the outbox's jsonb payload, when it is a JSON object. */
export function redrivePayload(value: Buffer | null): Record<string, unknown> | undefined {
  if (value === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
