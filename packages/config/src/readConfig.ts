import { ExactlyError } from '@exactly/errors';
import type { z } from 'zod';

type Environment = Record<string, string | undefined>;

/**
 * Reads a service's configuration from the environment once, at start-up. The schema's keys
 * are the variable names. A bad value stops start-up with an error naming every variable
 * that is wrong and why.
 */
export function readConfig<Schema extends z.ZodObject>(
  schema: Schema,
  env: Environment = process.env,
): z.infer<Schema> {
  const parsed = schema.safeParse(withoutEmptyValues(env));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
    return { variable, value, reason: issue.message };
  });
  const lines = problems.map(
    (p) => `  ${p.variable}${p.value === undefined ? '' : `=${JSON.stringify(p.value)}`}: ${p.reason}`,
  );
  throw new ExactlyError('config_invalid', `invalid configuration:\n${lines.join('\n')}`, {
    details: { problems },
  });
}

/** `FOO=` in a shell means "not set" for our purposes, so defaults apply. */
function withoutEmptyValues(env: Environment): Environment {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}
