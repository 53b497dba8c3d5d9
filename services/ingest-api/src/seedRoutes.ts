import { validated } from '@exactly/config';
import type { FastifyInstance } from 'fastify';
import { createSendAcceptor, type SendAcceptorOptions } from './createSendAcceptor.js';
import { callCommand, emailCommand, TruedyBatchCalls, TruedyCall } from './seedRequests.js';

export interface SeedRoutesOptions extends SendAcceptorOptions {
  /** The number Truedy calls are placed from. */
  callerId: string;
}

/**
 * A seed's vendor routes, served only under that seed's profile: its clients' requests run
 * unchanged, and another profile's users see no routes they never asked for. Each maps its body
 * onto the send command and runs it through the same engine and outbox as `/v1/messages`.
 */
export async function seedRoutes(app: FastifyInstance, options: SeedRoutesOptions): Promise<void> {
  const { engine } = options;
  const profile = engine.profile;

  const accept = createSendAcceptor(options);

  const idempotent = { config: { idempotent: true } };
  if (profile.name === 'txtly' || profile.name === 'getmailer') {
    const route = profile.name === 'txtly' ? '/emails' : '/api/emails';
    app.post(route, idempotent, async (request, reply) =>
      reply.sendIdempotencyOutcome(await accept(request, [emailCommand(request.body)], false)),
    );
  }
  if (profile.name === 'truedy') {
    app.post('/api/public/v1/calls', idempotent, async (request, reply) => {
      const call = validated(TruedyCall, request.body, 'the call');
      return reply.sendIdempotencyOutcome(
        await accept(request, [callCommand(call, options.callerId)], false),
      );
    });
    app.post('/api/public/v1/batch-calls', idempotent, async (request, reply) => {
      const { calls } = validated(TruedyBatchCalls, request.body, 'the batch');
      const commands = calls.map((call) => callCommand(call, options.callerId));
      return reply.sendIdempotencyOutcome(await accept(request, commands, true));
    });
  }
}
