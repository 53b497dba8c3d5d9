import { readTraceparents } from '@exactly/message-store';
import {
  inSpan,
  type Logger,
  type Span,
  SpanKind,
  SpanStatusCode,
  tracingEnabled,
} from '@exactly/observability';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SendOutcome } from '../providers/provider.js';
import type { ClaimedEffect } from './claimEffects.js';

// Where each claimed effect's trace goes on: the traceparent its DispatchRequested event stored.
const traceparents = new WeakMap<ClaimedEffect, string>();

/**
 * With tracing on, reads the trace each claimed effect continues (one statement per claim).
 * Best effort: an effect whose trace cannot be read is still called, in a trace of its own.
 */
export async function loadEffectTraces(
  em: EntityManager,
  effects: readonly ClaimedEffect[],
  logger: Logger,
): Promise<void> {
  if (!tracingEnabled() || effects.length === 0) return;
  try {
    const found = await readTraceparents(
      em,
      effects.map((effect) => effect.messageId),
      'DispatchRequested',
    );
    for (const effect of effects) {
      const traceparent = found.get(effect.messageId);
      if (traceparent !== undefined) traceparents.set(effect, traceparent);
    }
  } catch (error) {
    logger.warn(
      { err: error, effects: effects.length },
      'reading the effects’ traces failed; calling untraced',
    );
  }
}

/** The trace an effect claimed at creation continues: its DispatchRequested event's, known in memory. */
export function traceEffect(effect: ClaimedEffect, traceparent: string | undefined): void {
  if (traceparent !== undefined && tracingEnabled()) traceparents.set(effect, traceparent);
}

/** Runs an attempt of an effect in its `effect` span, a child of the inbox span that queued it. */
export function inEffectSpan<T>(effect: ClaimedEffect, work: () => Promise<T>): Promise<T> {
  return inSpan(
    'effect',
    {
      parent: traceparents.get(effect),
      attributes: {
        'exactly.effect_id': effect.id,
        'exactly.message_id': effect.messageId,
        'exactly.provider': effect.provider,
        'exactly.attempt': effect.attempt,
      },
    },
    work,
  );
}

/** Runs a provider call in its client span, marked failed when the outcome is a failure. */
export function inProviderCallSpan(provider: string, call: () => Promise<SendOutcome>): Promise<SendOutcome> {
  return inSpan(
    'provider call',
    { kind: SpanKind.CLIENT, attributes: { 'exactly.provider': provider } },
    async (span: Span) => {
      const outcome = await call();
      span.setAttribute('exactly.outcome', outcome.status);
      if (outcome.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      return outcome;
    },
  );
}
