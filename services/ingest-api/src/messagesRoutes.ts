import { validated } from '@exactly/config';
import { MessageStatus } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createSendAcceptor, type SendAcceptorOptions } from './createSendAcceptor.js';
import { findMessage, listMessages } from './readMessages.js';
import { parseBatch, parseSend } from './renderSends.js';
import { takeSendAt } from './takeSendAt.js';

export type MessagesRoutesOptions = SendAcceptorOptions;

const ListQuery = z.strictObject({
  status: MessageStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const messageId = /^msg_[0-9a-f]{32}$/;

export async function messagesRoutes(app: FastifyInstance, options: MessagesRoutesOptions): Promise<void> {
  const { orm } = options;
  const accept = createSendAcceptor(options);

  app.post('/v1/messages', { config: { idempotent: true } }, async (request, reply) => {
    const { body, sendAt } = takeSendAt(request.body, new Date());
    const input = parseSend(body, 'the message');
    return reply.sendIdempotencyOutcome(await accept(request, [input], false, [sendAt]));
  });

  app.post('/v1/messages/batch', { config: { idempotent: true } }, async (request, reply) => {
    // `send_at` at the top applies to every message; one on a message applies to it alone.
    const now = new Date();
    const top = takeSendAt(request.body, now);
    const items = batchItems(top.body).map((item, index) =>
      takeSendAt(item, now, `messages.${index}.send_at`),
    );
    const inputs = parseBatch(withItems(top.body, items));
    const sendAt = items.map((item) => item.sendAt ?? top.sendAt);
    return reply.sendIdempotencyOutcome(await accept(request, inputs, true, sendAt));
  });

  app.get<{ Params: { id: string } }>('/v1/messages/:id', async (request, reply) => {
    const { accountId } = options.principalOf(request);
    const found = messageId.test(request.params.id)
      ? await findMessage(orm.em.fork(), accountId, request.params.id)
      : undefined;
    // Another account's message is as absent as one that never existed: 404, never 403.
    if (found === undefined) throw new ExactlyError('not_found', `no message ${request.params.id}`);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(found));
  });

  app.get('/v1/messages', async (request, reply) => {
    const { accountId } = options.principalOf(request);
    const query = validated(ListQuery, request.query, 'the query');
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await listMessages(orm.em.fork(), accountId, {
      limit: query.limit,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(before === undefined ? {} : { before }),
    });
    const nextCursor = page.more && page.lastId !== undefined ? encodeCursor(page.lastId) : null;
    return reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ data: page.data, nextCursor }));
  });
}

function batchItems(body: unknown): unknown[] {
  const messages = (body as { messages?: unknown } | null)?.messages;
  return Array.isArray(messages) ? messages : [];
}

function withItems(body: unknown, items: { body: unknown }[]): unknown {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return body;
  return { ...(body as object), messages: items.map((item) => item.body) };
}

function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const lastId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!messageId.test(lastId)) {
    throw new ExactlyError('invalid_request', 'the cursor is not one this API gave out', {
      details: { errors: [{ path: 'cursor', message: 'unknown cursor' }] },
    });
  }
  return lastId;
}
