import { MikroORM } from '@mikro-orm/postgresql';
import { type OrmSettings, ormConfig } from './ormConfig.js';

export type Orm = MikroORM;

/** Connects to PostgreSQL. Callers fork `orm.em` per request or per Kafka batch. */
export async function openOrm(settings: OrmSettings): Promise<Orm> {
  return MikroORM.init(ormConfig(settings));
}
