/**
 * A bigint[] parameter as PostgreSQL's array text, built with one join: node-postgres escapes
 * array elements one by one, which showed up in profiles for the thousand ids of each claim.
 * The ids are decimal strings from the database, so no quoting is needed.
 */
export function idArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}
