import { v7 as uuidv7 } from 'uuid';

/**
 * A new id with a type prefix (`msg_`, `acc_`, `key_`...) and a UUIDv7 body: unique without
 * coordination, and ordered by creation time, so sorting by id sorts by age.
 */
export function newId(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}
