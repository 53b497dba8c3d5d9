import { ExactlyError } from '@exactly/errors';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { IdempotencyOutcome } from './createIdempotencyEngine.js';
import type { IdempotencyProfile } from './idempotencyProfiles.js';
import { parseIdempotencyKey } from './parseIdempotencyKey.js';
import type { KeyScope } from './scopeKey.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours the profile's idempotency key (for the profile's methods). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The validated key of an idempotent route, or undefined when none was sent. */
    idempotencyKey: string | undefined;
  }
  interface FastifyReply {
    /**
     * Sends what the engine decided: the reply (marked `Idempotent-Replayed: true` with the
     * original request's id and time when replayed). Throws the `ExactlyError` of a refusal
     * (reused key, key in flight) for the error handler to render.
     */
    sendIdempotencyOutcome(outcome: IdempotencyOutcome): FastifyReply;
  }
}

export interface IdempotencyPluginOptions {
  profile: IdempotencyProfile;
  /** Sees every outcome sent (for metrics). */
  onOutcome?: (outcome: IdempotencyOutcome, request: FastifyRequest) => void;
}

/** Idempotency key headers that clients send by habit; one the profile does not read is refused. */
export const wellKnownKeyHeaders = ['Idempotency-Key', 'X-Idempotency-Key'] as const;

function otherKeyHeader(rawHeaders: readonly string[], profile: IdempotencyProfile): string | undefined {
  const own = profile.header.toLowerCase();
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]?.toLowerCase();
    if (name === own) continue;
    const known = wellKnownKeyHeaders.find((header) => header.toLowerCase() === name);
    if (known !== undefined) return known;
  }
  return undefined;
}

/** Response headers of a replay. */
export const replayHeaders = {
  replayed: 'idempotent-replayed',
  originalRequestId: 'original-request-id',
  originalRequestTime: 'original-request-time',
} as const;

const plugin: FastifyPluginAsync<IdempotencyPluginOptions> = async (app, { profile, onOutcome }) => {
  app.decorateRequest('idempotencyKey', undefined);

  // preValidation: after authentication (onRequest) and body parsing, before the handler, so a
  // bad key is refused before anything runs and stores nothing.
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config.idempotent !== true) return;
    if (!(profile.methods as readonly string[]).includes(request.method)) return;
    const parsed = parseIdempotencyKey(request.raw.rawHeaders, profile);
    if (parsed.kind === 'absent') {
      // A key in a header this profile does not read would protect nothing: refuse, naming the right one.
      const other = otherKeyHeader(request.raw.rawHeaders, profile);
      if (other !== undefined) {
        throw new ExactlyError(
          'idempotency_key_invalid',
          `this API reads the idempotency key from ${profile.header}, not ${other}: send the key as ${profile.header}`,
          { details: { header: profile.header } },
        );
      }
    }
    if (parsed.kind === 'invalid') {
      throw new ExactlyError('idempotency_key_invalid', parsed.reason, {
        details: { header: profile.header },
      });
    }
    if (parsed.kind === 'absent' && profile.keyRequired) {
      throw new ExactlyError(
        'idempotency_key_missing',
        `send an ${profile.header} header with this request`,
        {
          details: { header: profile.header },
        },
      );
    }
    request.idempotencyKey = parsed.kind === 'key' ? parsed.key : undefined;
  });

  app.decorateReply('sendIdempotencyOutcome', function (this: FastifyReply, outcome: IdempotencyOutcome) {
    onOutcome?.(outcome, this.request);
    switch (outcome.kind) {
      case 'executed':
        return this.code(outcome.reply.status).headers(outcome.reply.headers).send(outcome.reply.body);
      case 'replayed':
        return this.code(outcome.reply.status)
          .headers(outcome.reply.headers)
          .header(replayHeaders.replayed, 'true')
          .header(replayHeaders.originalRequestId, outcome.originalRequestId)
          .header(replayHeaders.originalRequestTime, outcome.originalRequestAt.toISOString())
          .send(outcome.reply.body);
      case 'mismatch':
        throw new ExactlyError(
          'idempotency_key_reused',
          `this ${profile.header} was already used with a different request (method, route or body); use a new key for a new request`,
          { status: outcome.status, details: { header: profile.header } },
        );
      case 'in_flight':
        this.header('retry-after', String(outcome.retryAfterSeconds));
        throw new ExactlyError(
          'idempotency_key_in_flight',
          `a request with this ${profile.header} is still in progress; retry after ${outcome.retryAfterSeconds} s`,
          { details: { header: profile.header, retryAfterSeconds: outcome.retryAfterSeconds } },
        );
    }
  });
};

/**
 * The HTTP edge of the idempotency engine: reads and validates the profile's key header on routes
 * marked `config: { idempotent: true }` (for the profile's methods only; elsewhere the header is
 * ignored), and turns the engine's outcome into the response.
 */
export const idempotencyPlugin = fastifyPlugin(plugin, { name: '@exactly/idempotency', fastify: '5.x' });

/** The key scope of an idempotent request, or undefined when it carries no key. */
export function keyScopeOf(
  request: FastifyRequest,
  owner: { accountId: string; apiKeyId: string },
): KeyScope | undefined {
  const key = request.idempotencyKey;
  if (key === undefined) return undefined;
  return { ...owner, method: request.method, route: request.routeOptions.url ?? request.url, key };
}
