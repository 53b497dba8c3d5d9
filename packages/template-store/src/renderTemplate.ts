import type { TemplateContent, TemplateVariables } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import Mustache from 'mustache';

// Tenants write the templates: mustache's cache of parsed templates would grow without bound.
Mustache.templateCache = undefined;

const asIs = (value: string): string => value;

/** The longest HTML escape of one character (`&quot;`, `&#x27;`, `&#x60;`...): 6 characters. */
const escapeGrowth = 6;

type Part = keyof TemplateContent;
type Token = [string, string, number, number, Token[]?];

/**
 * Renders a version's parts with checked variables. The HTML part HTML-escapes `{{name}}`
 * (mustache's default: a variable cannot inject markup). The subject and the text are not
 * markup: escaping them would show `Tom &amp; Jerry` to the reader, so they take the values as
 * they are. A part whose rendering could exceed its limit is refused before it is rendered: a
 * template of 100,000 `{{x}}` with a 10,000-character `x` would otherwise build a gigabyte.
 */
export function renderTemplate(
  content: TemplateContent,
  variables: TemplateVariables,
  maxLength: Partial<Record<Part, number | undefined>> = {},
): TemplateContent {
  // No prototype: `{{constructor}}` finds only what the client gave.
  const view = Object.assign(Object.create(null) as object, variables);
  const rendered: TemplateContent = {};
  for (const part of ['subject', 'text', 'html'] as const) {
    const source = content[part];
    if (source === undefined) continue;
    const escaped = part === 'html';
    const limit = maxLength[part];
    if (limit !== undefined) {
      const bound = lengthBound(Mustache.parse(source) as Token[], variables, escaped);
      if (bound > limit) {
        throw new ExactlyError(
          'invalid_request',
          `the ${part} rendered with these variables could be up to ${bound} characters; at most ${limit} are allowed`,
          { details: { errors: [{ path: part, message: `at most ${limit} characters once rendered` }] } },
        );
      }
    }
    rendered[part] = escaped
      ? Mustache.render(source, view)
      : Mustache.render(source, view, {}, { escape: asIs });
  }
  return rendered;
}

/** An upper bound of a part's rendered length: its text, each value inserted (escaped ones at their longest), each section once. */
function lengthBound(tokens: readonly Token[], variables: TemplateVariables, escaped: boolean): number {
  let total = 0;
  for (const [type, value, , , children] of tokens) {
    if (type === 'text') total += value.length;
    else if (type === 'name' || type === '&') {
      const length = String(variables[value] ?? '').length;
      total += type === 'name' && escaped ? length * escapeGrowth : length;
    } else if (children) total += lengthBound(children, variables, escaped);
  }
  return total;
}
