export { type SeedMessageOptions, seedHeldMessage, seedMessage } from './seedMessage.js';
