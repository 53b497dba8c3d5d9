import { z } from 'zod';

/**
 * The value of a record on the dead-letter topic: why a record was set aside and the record
 * itself as it arrived (key, headers and value; the value as UTF-8 text, or base64 when it is
 * not valid UTF-8). Its Kafka key is the original key, and its headers are the original headers
 * plus the `recordHeaders.deadLetter*` and `original*` ones.
 */
export const DeadLetterRecord = z.object({
  type: z.literal('DeadLetter'),
  data: z.object({
    code: z.string(),
    reason: z.string(),
    messageId: z.string().optional(),
    original: z.object({
      topic: z.string(),
      partition: z.number().int().nonnegative(),
      offset: z.string(),
      key: z.string().nullable(),
      headers: z.record(z.string(), z.string()),
      value: z.string().nullable(),
      valueEncoding: z.enum(['utf8', 'base64']),
    }),
  }),
  metadata: z.object({ at: z.iso.datetime({ offset: true }), consumerGroup: z.string() }),
});
export type DeadLetterRecord = z.infer<typeof DeadLetterRecord>;
