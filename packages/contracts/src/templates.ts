import { z } from 'zod';
import { Channel, Metadata } from './sendMessage.js';
import { storableText } from './text.js';

/** The content of one template version: mustache text for each part of its channel's message. */
export const TemplateContent = z.strictObject({
  /** Email only. */
  subject: storableText(998).min(1).optional(),
  /** The plain-text body (email), or the whole message (SMS, voice): rendered without HTML escaping. */
  text: storableText(100_000).min(1).optional(),
  /** Email only: rendered with HTML escaping of `{{name}}` (`{{{name}}}` inserts as is). */
  html: storableText(1_000_000).min(1).optional(),
});
export type TemplateContent = z.infer<typeof TemplateContent>;

/** `POST /v1/templates`: a template with its first version. */
export const CreateTemplate = TemplateContent.extend({
  name: storableText(200).min(1),
  channel: Channel,
});
export type CreateTemplate = z.infer<typeof CreateTemplate>;

/** `POST /v1/templates/{id}/versions`: the template's next version (its channel stays). */
export const CreateTemplateVersion = TemplateContent;
export type CreateTemplateVersion = z.infer<typeof CreateTemplateVersion>;

/** A variable a template uses: `text` for `{{name}}` (a string or a number), `boolean` for a `{{#name}}` section. */
export const TemplateVariable = z.object({
  name: z.string(),
  type: z.enum(['text', 'boolean']),
});
export type TemplateVariable = z.infer<typeof TemplateVariable>;

/** A template as the API shows it: with one version's content (the latest unless one was asked for). */
export const TemplateResource = z.object({
  id: z.string(),
  name: z.string(),
  channel: Channel,
  latestVersion: z.number().int().min(1),
  version: z.number().int().min(1),
  subject: z.string().optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  variables: z.array(TemplateVariable),
  createdAt: z.iso.datetime({ offset: true }),
  versionCreatedAt: z.iso.datetime({ offset: true }),
});
export type TemplateResource = z.infer<typeof TemplateResource>;

export const TemplatePage = z.object({
  data: z.array(TemplateResource),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type TemplatePage = z.infer<typeof TemplatePage>;

/** The values of a send's template variables, by name. */
export const TemplateVariables = z.record(
  storableText(100),
  z.union([storableText(10_000), z.number(), z.boolean()]),
);
export type TemplateVariables = z.infer<typeof TemplateVariables>;

/** A send that names a template (its latest version unless `version` is given) and variables instead of content. */
export const TemplatedSend = z.strictObject({
  /** The template's channel; if given, it must be the template's. */
  channel: Channel.optional(),
  to: storableText(320),
  from: storableText(320),
  template: z.strictObject({
    id: storableText(100).min(1),
    version: z.number().int().min(1).optional(),
  }),
  variables: TemplateVariables.default({}),
  metadata: Metadata.optional(),
});
export type TemplatedSend = z.infer<typeof TemplatedSend>;
