import type { TemplateContent, TemplateVariables } from '@exactly/contracts';
import Mustache from 'mustache';

// Tenants write the templates: mustache's cache of parsed templates would grow without bound.
Mustache.templateCache = undefined;

const asIs = (value: string): string => value;

/**
 * Renders a version's parts with checked variables. The HTML part HTML-escapes `{{name}}`
 * (mustache's default: a variable cannot inject markup). The subject and the text are not
 * markup: escaping them would show `Tom &amp; Jerry` to the reader, so they take the values as
 * they are.
 */
export function renderTemplate(content: TemplateContent, variables: TemplateVariables): TemplateContent {
  // No prototype: `{{constructor}}` finds only what the client gave.
  const view = Object.assign(Object.create(null) as object, variables);
  const rendered: TemplateContent = {};
  if (content.subject !== undefined)
    rendered.subject = Mustache.render(content.subject, view, {}, { escape: asIs });
  if (content.text !== undefined) rendered.text = Mustache.render(content.text, view, {}, { escape: asIs });
  if (content.html !== undefined) rendered.html = Mustache.render(content.html, view);
  return rendered;
}
