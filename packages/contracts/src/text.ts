import { z } from 'zod';

/**
 * A string PostgreSQL can store: no NUL character (text and jsonb reject `\u0000`) and no lone
 * UTF-16 surrogate (jsonb rejects those too). Both would otherwise surface as a 500.
 */
export const storableText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain the NUL character (\\u0000)' })
    .refine((value) => value.isWellFormed(), { message: 'must be well-formed Unicode (no lone surrogates)' });
