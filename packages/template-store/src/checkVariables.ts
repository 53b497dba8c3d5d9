import type { TemplateVariable, TemplateVariables } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';

/**
 * Checks a send's variables against the template's: each one it uses must be given, with its
 * type (text: a string or a number; a section: a boolean), and nothing else may be given (a
 * misspelt name would otherwise render as empty text). The error names every wrong variable.
 */
export function checkVariables(
  declared: readonly TemplateVariable[],
  given: TemplateVariables,
  where: { template: string; version: number; path?: string },
): void {
  const path = where.path ?? 'variables';
  const errors: { path: string; message: string }[] = [];
  const known = new Set(declared.map((variable) => variable.name));
  for (const variable of declared) {
    const value = Object.hasOwn(given, variable.name) ? given[variable.name] : undefined;
    if (value === undefined) {
      errors.push({
        path: `${path}.${variable.name}`,
        message: `missing: the template uses ${show(variable)}`,
      });
    } else if (variable.type === 'boolean' && typeof value !== 'boolean') {
      errors.push({
        path: `${path}.${variable.name}`,
        message: `must be a boolean: the template uses it as a section (${show(variable)})`,
      });
    } else if (variable.type === 'text' && typeof value === 'boolean') {
      errors.push({
        path: `${path}.${variable.name}`,
        message: `must be a string or a number: the template inserts it (${show(variable)})`,
      });
    }
  }
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      errors.push({ path: `${path}.${name}`, message: 'unknown: the template does not use this variable' });
    }
  }
  if (errors.length === 0) return;
  throw new ExactlyError(
    'template_variables_invalid',
    `the variables do not fit template ${where.template} version ${where.version}: ${errors
      .map((error) => `${error.path}: ${error.message}`)
      .join('; ')}`,
    { details: { errors } },
  );
}

function show(variable: TemplateVariable): string {
  return variable.type === 'boolean' ? `{{#${variable.name}}}` : `{{${variable.name}}}`;
}
