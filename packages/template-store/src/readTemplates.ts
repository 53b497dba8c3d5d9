import type { Channel, TemplateResource, TemplateVariable } from '@exactly/contracts';
import { type Orm, runSql } from '@exactly/persistence';

type EntityManager = Orm['em'];

interface TemplateRow {
  id: string;
  name: string;
  channel: Channel;
  latest_version: number;
  created_at: Date;
  version: number;
  subject: string | null;
  text: string | null;
  html: string | null;
  variables: TemplateVariable[];
  version_created_at: Date;
}

const columns = `t.id, t.name, t.channel, t.latest_version, t.created_at,
  v.version, v.subject, v.text, v.html, v.variables, v.created_at AS version_created_at`;

/**
 * An account's template with one version (the latest unless `version` is given). Another
 * account's template is as absent as one that never existed.
 */
export async function findTemplate(
  em: EntityManager,
  accountId: string,
  id: string,
  version?: number,
): Promise<TemplateResource | undefined> {
  const { rows } = await runSql<TemplateRow>(
    em,
    `SELECT ${columns} FROM templates t
       JOIN template_versions v ON v.template_id = t.id AND v.version = COALESCE($3::integer, t.latest_version)
      WHERE t.id = $1 AND t.account_id = $2`,
    [id, accountId, version ?? null],
  );
  return rows[0] === undefined ? undefined : toResource(rows[0]);
}

/** An account's templates, newest first, each with its latest version; `before` is the last id of the previous page. */
export async function listTemplates(
  em: EntityManager,
  accountId: string,
  options: { limit: number; before?: string },
): Promise<{ data: TemplateResource[]; more: boolean }> {
  const { rows } = await runSql<TemplateRow>(
    em,
    `SELECT ${columns} FROM templates t
       JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version
      WHERE t.account_id = $1 AND ($2::text IS NULL OR t.id < $2)
      ORDER BY t.id DESC LIMIT $3`,
    [accountId, options.before ?? null, options.limit + 1],
  );
  return { data: rows.slice(0, options.limit).map(toResource), more: rows.length > options.limit };
}

function toResource(row: TemplateRow): TemplateResource {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    latestVersion: row.latest_version,
    version: row.version,
    ...(row.subject === null ? {} : { subject: row.subject }),
    ...(row.text === null ? {} : { text: row.text }),
    ...(row.html === null ? {} : { html: row.html }),
    variables: row.variables,
    createdAt: new Date(row.created_at).toISOString(),
    versionCreatedAt: new Date(row.version_created_at).toISOString(),
  };
}
