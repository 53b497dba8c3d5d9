import { ExactlyError } from '@exactly/errors';
import type { z } from 'zod';

/** One failing field: where (dotted path, `` for the whole value) and why. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A request's input parsed by the schema, or `invalid_request` (400) listing every failing field
 * (the services' request bodies and queries; `readConfig` is the same for their environment).
 */
export function validated<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors: FieldError[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const shown = errors
    .slice(0, 3)
    .map((error) => (error.path ? `${error.path}: ${error.message}` : error.message));
  const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more (see errors)` : '';
  throw new ExactlyError('invalid_request', `${what} is not valid: ${shown.join('; ')}${more}`, {
    details: { errors },
  });
}
