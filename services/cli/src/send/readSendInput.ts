import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SendMessage } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { SendInput as SdkSendInput } from '@exactly/sdk';

/** One command to send, with its own idempotency key when the input gave one. */
export interface SendItem {
  /** Files hold content sends; `exactly send --template` makes a templated one. */
  message: SdkSendInput;
  idempotencyKey?: string;
}

export interface SendInput {
  items: SendItem[];
  /** A stable name of the input (a hash of the file), so sending the same file again replays it. */
  fingerprint: string;
}

/**
 * Reads commands from a file (`-` for stdin): JSON (one command or an array of them) or NDJSON
 * (one per line; chosen by a `.ndjson`/`.jsonl` name or `format`). Each entry is a command as the
 * API takes it, or `{ "idempotencyKey": "…", "message": { … } }`. Every entry is checked against
 * the contract before anything is sent; the error names each bad line or index and field.
 */
export async function readSendInput(
  path: string,
  {
    format,
    readStdin = readAllStdin,
  }: { format?: 'json' | 'ndjson'; readStdin?: () => Promise<string> } = {},
): Promise<SendInput> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new ExactlyError('invalid_request', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const ndjson = format === 'ndjson' || (format === undefined && /\.(ndjson|jsonl)$/i.test(path));
  const entries: { where: string; value: unknown }[] = [];
  if (ndjson) {
    for (const [index, line] of text.split(/\r?\n/).entries()) {
      if (line.trim() === '') continue;
      entries.push({ where: `line ${index + 1}`, value: parseJson(line, `${path} line ${index + 1}`) });
    }
  } else {
    const parsed = parseJson(text, path);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((value, index) => {
      entries.push({ where: Array.isArray(parsed) ? `item ${index}` : 'the command', value });
    });
  }
  if (entries.length === 0) throw new ExactlyError('invalid_request', `${path} holds no commands`);
  return {
    items: parseItems(entries, path),
    fingerprint: createHash('sha256').update(text).digest('hex').slice(0, 16),
  };
}

/** Checks entries against the contract; throws one error listing every problem (up to 20). */
export function parseItems(
  entries: readonly { where: string; value: unknown }[],
  source: string,
): SendItem[] {
  const items: SendItem[] = [];
  const problems: string[] = [];
  for (const { where, value } of entries) {
    const wrapped =
      value !== null && typeof value === 'object' && 'message' in value && !('channel' in value)
        ? (value as { message: unknown; idempotencyKey?: unknown })
        : undefined;
    const key = wrapped?.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      problems.push(`${where}: idempotencyKey must be a non-empty string`);
      continue;
    }
    const parsed = SendMessage.safeParse(wrapped ? wrapped.message : value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${where}: ${issue.path.join('.') || '(command)'}: ${issue.message}`);
      continue;
    }
    items.push({ message: parsed.data, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new ExactlyError(
      'invalid_request',
      `${source}: nothing was sent; fix these first:\n  ${shown.join('\n  ')}${more}`,
    );
  }
  return items;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ExactlyError('invalid_request', `${where} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
