import { validated } from '@exactly/config';
import {
  type Channel,
  maxBatchSize,
  SendEmail,
  SendMessage,
  SendMessageBatch,
  SendSms,
  SendVoiceCall,
  TemplatedSend,
  type TemplateRef,
  type TemplateResource,
} from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { Orm } from '@exactly/persistence';
import { checkVariables, findTemplate, renderTemplate } from '@exactly/template-store';
import { z } from 'zod';

/** The longest string a schema takes (through `.optional()`). */
function maxLengthOf(schema: z.ZodType): number | undefined {
  const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return inner instanceof z.ZodString ? (inner.maxLength ?? undefined) : undefined;
}

/** Each channel's longest parts, from the send contract: a rendering that could exceed one is refused before it runs. */
const renderedLimits: Record<Channel, Partial<Record<'subject' | 'text' | 'html', number | undefined>>> = {
  email: {
    subject: maxLengthOf(SendEmail.shape.subject),
    text: maxLengthOf(SendEmail.shape.text),
    html: maxLengthOf(SendEmail.shape.html),
  },
  sms: { text: maxLengthOf(SendSms.shape.text) },
  voice: { text: maxLengthOf(SendVoiceCall.shape.text) },
};

/** One send as posted: its content, or a template and variables. */
export type SendInput = SendMessage | TemplatedSend;

const isTemplated = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'template' in value;

/** A posted send, validated as a content send or, when it names a `template`, as a templated one. */
export function parseSend(body: unknown, what: string): SendInput {
  return isTemplated(body) ? validated(TemplatedSend, body, what) : validated(SendMessage, body, what);
}

const LooseBatch = z.strictObject({ messages: z.array(z.unknown()).min(1).max(maxBatchSize) });

/** A posted batch; any of its items may name a template. */
export function parseBatch(body: unknown): SendInput[] {
  const items = validated(LooseBatch, body, 'the batch').messages;
  // Without templates, the batch is validated as before (its errors' paths say which item).
  if (!items.some(isTemplated)) return validated(SendMessageBatch, body, 'the batch').messages;
  return items.map((item, index) => parseSend(item, `message ${index} of the batch`));
}

/** The commands, and for each rendered from a template the version it used (by index). */
export interface RenderedSends {
  commands: SendMessage[];
  templates: (TemplateRef | undefined)[];
}

/**
 * The commands to accept: content sends as they are, templated ones rendered now, once, from the
 * named version (the latest when none is named). Runs when the request executes (never for a
 * replay), so the stored command and its Kafka record carry the text, and a retry, a replay or a
 * redrive sends that text even after the template has a new version.
 */
export async function renderSends(
  orm: Orm,
  accountId: string,
  inputs: readonly SendInput[],
  batch: boolean,
): Promise<RenderedSends> {
  if (!inputs.some((input) => 'template' in input))
    return { commands: inputs as SendMessage[], templates: [] };
  const em = orm.em.fork();
  const loaded = new Map<string, Promise<TemplateResource | undefined>>();
  const load = (id: string, version: number | undefined) => {
    const key = `${id}@${version ?? 'latest'}`;
    let found = loaded.get(key);
    if (!found) {
      found = findTemplate(em, accountId, id, version);
      loaded.set(key, found);
    }
    return found;
  };
  const commands: SendMessage[] = [];
  const templates: (TemplateRef | undefined)[] = [];
  for (const [index, input] of inputs.entries()) {
    if (!('template' in input)) {
      commands.push(input);
      templates.push(undefined);
      continue;
    }
    const what = batch ? `message ${index} of the batch` : 'the message';
    const prefix = batch ? `messages.${index}.` : '';
    const { id, version } = input.template;
    const template = await load(id, version);
    if (template === undefined) {
      throw new ExactlyError(
        'template_not_found',
        `${what} names ${version === undefined ? `template ${id}` : `version ${version} of template ${id}`}, which this account does not have`,
        { details: { errors: [{ path: `${prefix}template`, message: 'no such template or version' }] } },
      );
    }
    if (input.channel !== undefined && input.channel !== template.channel) {
      throw new ExactlyError(
        'invalid_request',
        `${what} is for ${input.channel}; template ${id} is for ${template.channel}`,
        {
          details: {
            errors: [
              { path: `${prefix}channel`, message: `must be ${template.channel}, the template's channel` },
            ],
          },
        },
      );
    }
    checkVariables(template.variables, input.variables, {
      template: id,
      version: template.version,
      path: `${prefix}variables`,
    });
    const rendered = renderTemplate(template, input.variables, renderedLimits[template.channel]);
    commands.push(
      validated(
        SendMessage,
        {
          channel: template.channel,
          to: input.to,
          from: input.from,
          ...rendered,
          ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
        },
        `${what} (rendered from template ${id} version ${template.version})`,
      ),
    );
    templates.push({ id: template.id, version: template.version });
  }
  return { commands, templates };
}
