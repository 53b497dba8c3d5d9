import { z } from 'zod';

/** The template version a send was rendered from: a later edit of the template leaves it traceable. */
export const TemplateRef = z.object({
  id: z.string(),
  version: z.number().int().min(1),
});
export type TemplateRef = z.infer<typeof TemplateRef>;
