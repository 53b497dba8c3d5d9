import { MikroORM } from '@mikro-orm/postgresql';
import { type OrmSettings, ormConfig } from './ormConfig.js';
import { serverVersionProblem } from './serverVersion.js';

export type Orm = MikroORM;

/**
 * Connects to PostgreSQL and checks that the server is recent enough (17+), so an old server
 * stops a service at start-up with a clear error rather than failing its first transaction.
 * Callers fork `orm.em` per request or per Kafka batch.
 */
export async function openOrm(settings: OrmSettings): Promise<Orm> {
  const orm = await MikroORM.init(ormConfig(settings));
  try {
    const [row] = await orm.em
      .fork()
      .execute<{ version: number }[]>("SELECT current_setting('server_version_num')::int AS version");
    const problem = serverVersionProblem(Number(row?.version));
    if (problem) throw problem;
    return orm;
  } catch (error) {
    await orm.close();
    throw error;
  }
}
