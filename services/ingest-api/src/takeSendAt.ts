import { maxScheduleAheadMs, SendAt } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';

/**
 * Splits `send_at` off a send's body, so the rest is validated as the send command it always was
 * (the command on the topic never carries it). A time more than 30 days after `now` is refused;
 * one not after the moment of acceptance means "send now".
 */
export function takeSendAt(
  body: unknown,
  now: Date,
  where = 'send_at',
): { body: unknown; sendAt: Date | undefined } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, 'send_at')) {
    return { body, sendAt: undefined };
  }
  const { send_at: raw, ...rest } = body as Record<string, unknown>;
  return { body: rest, sendAt: sendAtFrom(raw, now, where) };
}

/** A validated `send_at`, bounded to 30 days after `now`. */
export function sendAtFrom(raw: unknown, now: Date, where = 'send_at'): Date {
  const parsed = SendAt.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'not valid';
    throw new ExactlyError('invalid_request', `${where} is not valid: ${message}`, {
      details: { errors: [{ path: where, message }] },
    });
  }
  const sendAt = new Date(parsed.data);
  if (sendAt.getTime() - now.getTime() > maxScheduleAheadMs) {
    throw new ExactlyError(
      'invalid_request',
      `${where} is more than ${maxScheduleAheadMs / 86_400_000} days ahead; schedule it closer`,
      { details: { errors: [{ path: where, message: 'at most 30 days ahead' }] } },
    );
  }
  return sendAt;
}
