import { Migration20261122000001Foundation } from './Migration20261122000001Foundation.js';
import { Migration20261122000002MessagesAndOutbox } from './Migration20261122000002MessagesAndOutbox.js';

/** Every migration, oldest first. A new migration is a new file here; an applied one never changes. */
export const migrations = [Migration20261122000001Foundation, Migration20261122000002MessagesAndOutbox];
