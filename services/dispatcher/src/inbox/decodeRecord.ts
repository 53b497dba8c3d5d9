import { createHash } from 'node:crypto';
import { canonicalJson, SendMessageCommand } from '@exactly/contracts';
import type { ErrorCode } from '@exactly/errors';

/** A Kafka record as the consumer received it, reduced to what the dispatcher keeps. */
export interface ReceivedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export type DecodedRecord =
  | { kind: 'command'; record: ReceivedRecord; command: SendMessageCommand; fingerprint: Buffer }
  | { kind: 'invalid'; record: ReceivedRecord; code: ErrorCode; reason: string };

/**
 * Parses and validates a record of the commands topic. Bad input is a value (a dead letter with
 * its reason), never an exception: one poison record must not stop the partition.
 */
export function decodeRecord(record: ReceivedRecord): DecodedRecord {
  if (record.value === null || record.value.length === 0) {
    return { kind: 'invalid', record, code: 'schema_invalid', reason: 'the record has no value' };
  }
  let json: unknown;
  try {
    json = JSON.parse(record.value.toString('utf8'));
  } catch (error) {
    return {
      kind: 'invalid',
      record,
      code: 'schema_invalid',
      reason: `the value is not JSON: ${(error as Error).message}`,
    };
  }
  const parsed = SendMessageCommand.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`);
    return {
      kind: 'invalid',
      record,
      code: 'schema_invalid',
      reason: `not a SendMessageCommand: ${problems.join('; ')}`,
    };
  }
  return { kind: 'command', record, command: parsed.data, fingerprint: commandFingerprint(parsed.data) };
}

/**
 * SHA-256 of the canonical JSON of the command's data: two deliveries of one command have the
 * same fingerprint whatever their key order; a different payload under the same id does not.
 */
export function commandFingerprint(command: SendMessageCommand): Buffer {
  return createHash('sha256').update(canonicalJson(command.data)).digest();
}

/** kafkajs headers (Buffer, string or arrays of them) as plain strings; a repeated header keeps its last value. */
export function headersToStrings(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}
