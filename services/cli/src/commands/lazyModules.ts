// Loaded on first use: MikroORM and kafkajs are most of the command line's start-up time, and
// `--help`, `send` and `status` need neither.

/** The operator library (`@exactly/operations`). */
export const operations = () => import('@exactly/operations');

/** The persistence package (`@exactly/persistence`). */
export const persistence = () => import('@exactly/persistence');

/** The contracts (`@exactly/contracts`). */
export const contracts = () => import('@exactly/contracts');
