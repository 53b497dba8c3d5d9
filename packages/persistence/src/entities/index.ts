import { Account } from './Account.js';
import { ApiKey } from './ApiKey.js';
import { Message } from './Message.js';
import { MessageEvent } from './MessageEvent.js';
import { OutboxRecord } from './OutboxRecord.js';

export const entities = [Account, ApiKey, Message, MessageEvent, OutboxRecord];
