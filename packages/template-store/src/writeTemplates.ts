import type { Channel, TemplateContent, TemplateVariable } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { type Orm, runSql } from '@exactly/persistence';

type EntityManager = Orm['em'];

/** One version of a template, with the variables parsed from it. */
export interface NewTemplateVersion {
  templateId: string;
  accountId: string;
  version: number;
  content: TemplateContent;
  variables: TemplateVariable[];
  createdAt: Date;
}

/** What one accepted template request writes: a new template (with version 1) or a template's next version. */
export type TemplateWrite =
  | { kind: 'template'; name: string; channel: Channel; first: NewTemplateVersion }
  | { kind: 'version'; next: NewTemplateVersion };

/**
 * Writes templates and versions inside the caller's transaction (the idempotency engine's). A
 * version is numbered when its request is prepared, from the latest it read: if another version
 * took that number meanwhile, the write fails with a 409 and nothing is stored, so a retry with
 * the same key numbers it again.
 */
export async function writeTemplates(em: EntityManager, writes: readonly TemplateWrite[]): Promise<void> {
  for (const write of writes) {
    if (write.kind === 'template') {
      const { first } = write;
      await runSql(
        em,
        `INSERT INTO templates (id, account_id, name, channel, latest_version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5)`,
        [first.templateId, first.accountId, write.name, write.channel, first.createdAt],
      );
      await insertVersion(em, first);
      continue;
    }
    const { next } = write;
    const moved = await runSql(
      em,
      `UPDATE templates SET latest_version = $3, updated_at = $4
        WHERE id = $1 AND account_id = $2 AND latest_version = $3 - 1`,
      [next.templateId, next.accountId, next.version, next.createdAt],
    );
    if (moved.rowCount === 0) {
      throw new ExactlyError(
        'template_version_conflict',
        `another version of template ${next.templateId} was created at the same time; retry the request`,
        { details: { templateId: next.templateId } },
      );
    }
    await insertVersion(em, next);
  }
}

async function insertVersion(em: EntityManager, version: NewTemplateVersion): Promise<void> {
  await runSql(
    em,
    `INSERT INTO template_versions (template_id, version, subject, text, html, variables, created_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
    [
      version.templateId,
      version.version,
      version.content.subject ?? null,
      version.content.text ?? null,
      version.content.html ?? null,
      JSON.stringify(version.variables),
      version.createdAt,
    ],
  );
}

/** Which of these writes are already stored (after a batch whose COMMIT's answer was lost). */
export async function templateWritesStored(
  em: EntityManager,
  writes: readonly TemplateWrite[],
): Promise<boolean[]> {
  const found: boolean[] = [];
  for (const write of writes) {
    const version = write.kind === 'template' ? write.first : write.next;
    const { rows } = await runSql(
      em,
      `SELECT 1 FROM template_versions
        WHERE template_id = $1 AND version = $2 AND created_at = $3
          AND subject IS NOT DISTINCT FROM $4 AND text IS NOT DISTINCT FROM $5 AND html IS NOT DISTINCT FROM $6`,
      [
        version.templateId,
        version.version,
        version.createdAt,
        version.content.subject ?? null,
        version.content.text ?? null,
        version.content.html ?? null,
      ],
    );
    found.push(rows.length > 0);
  }
  return found;
}
