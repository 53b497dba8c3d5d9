import type { Channel, TemplateContent } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';

/** The parts a channel's template must and may have: an email a subject and text or HTML; SMS and voice a text. */
export function checkTemplateContent(channel: Channel, content: TemplateContent): void {
  const errors: { path: string; message: string }[] = [];
  if (channel === 'email') {
    if (content.subject === undefined)
      errors.push({ path: 'subject', message: 'an email template needs a subject' });
    if (content.text === undefined && content.html === undefined)
      errors.push({ path: 'text', message: 'an email template needs text, html or both' });
  } else {
    if (content.text === undefined)
      errors.push({ path: 'text', message: `a ${channel} template needs a text` });
    for (const part of ['subject', 'html'] as const)
      if (content[part] !== undefined)
        errors.push({ path: part, message: `a ${channel} template has no ${part} (only email has)` });
  }
  if (errors.length === 0) return;
  throw new ExactlyError(
    'invalid_request',
    `the template is not valid: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`,
    { details: { errors } },
  );
}
