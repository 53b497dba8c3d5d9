import type { TemplateContent, TemplateVariable } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import Mustache from 'mustache';

/** Flat names only: a send's variables are one level of strings, numbers and booleans. */
const variableName = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/** A mustache token: [type, value, start, end, children?]. */
type Token = [string, string, number, number, Token[]?];

/**
 * The variables a template's parts use, parsed with mustache itself: `{{name}}` and `{{{name}}}`
 * are text, `{{#name}}` / `{{^name}}` sections are booleans. A template mustache cannot parse,
 * or one that needs what a flat set of variables cannot give (partials, dotted names, `{{.}}`,
 * a name used both ways), is refused (422) with the part and the reason.
 */
export function templateVariables(content: TemplateContent): TemplateVariable[] {
  const found = new Map<string, TemplateVariable['type']>();
  for (const part of ['subject', 'text', 'html'] as const) {
    const source = content[part];
    if (source === undefined) continue;
    let tokens: Token[];
    try {
      tokens = Mustache.parse(source) as Token[];
    } catch (error) {
      throw invalid(part, (error as Error).message);
    }
    collect(tokens, part, found);
  }
  return [...found].map(([name, type]) => ({ name, type })).sort((a, b) => a.name.localeCompare(b.name));
}

function collect(tokens: Token[], part: string, found: Map<string, TemplateVariable['type']>): void {
  for (const [type, value, , , children] of tokens) {
    if (type === 'text' || type === '!' || type === '=') continue;
    if (type === '>') throw invalid(part, `partials ({{> ${value}}}) are not supported`);
    if (!variableName.test(value)) {
      throw invalid(
        part,
        `{{${value}}}: a variable name is a letter or _ then letters, digits, _ or - (no dots, no {{.}})`,
      );
    }
    const kind = type === '#' || type === '^' ? 'boolean' : 'text';
    const earlier = found.get(value);
    if (earlier !== undefined && earlier !== kind) {
      throw invalid(part, `${value} is used both as a value ({{${value}}}) and as a section ({{#${value}}})`);
    }
    found.set(value, kind);
    if (children) collect(children, part, found);
  }
}

function invalid(part: string, reason: string): ExactlyError {
  return new ExactlyError('template_invalid', `the template's ${part} is not valid: ${reason}`, {
    details: { errors: [{ path: part, message: reason }] },
  });
}
