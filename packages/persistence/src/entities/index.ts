import { Account } from './Account.js';
import { ApiKey } from './ApiKey.js';

export const entities = [Account, ApiKey];
