import type { Channel } from '@exactly/contracts';
import type { Orm } from '@exactly/persistence';
import type { DispatcherConfig, OnAmbiguous, ProviderName } from '../config.js';
import { TokenBucket } from '../effects/tokenBucket.js';
import { createHttpProvider } from './httpProvider.js';
import { createLogProvider } from './logProvider.js';
import type { Provider } from './provider.js';
import { createSmtpProvider } from './smtpProvider.js';

/** A provider with its limits (calls in flight at most, calls a second) and its policy after ambiguity. */
export interface ProviderLane {
  provider: Provider;
  concurrency: number;
  rateLimit: TokenBucket;
  /** After an attempt whose outcome is unknown: call again with the same key, or hold the message. */
  onAmbiguous: OnAmbiguous;
}

/** The policy after ambiguity: the configured one, else retry only where the provider honours keys. */
export function ambiguityPolicy(provider: Provider, configured: OnAmbiguous | undefined): OnAmbiguous {
  return configured ?? (provider.honoursKey ? 'retry' : 'hold');
}

export interface ProviderSet {
  /** The provider each channel uses (chosen at dispatch and kept with the effect). */
  providerFor: (channel: Channel) => ProviderName;
  lanes: Map<string, ProviderLane>;
  close(): Promise<void>;
}

/** Builds the providers the configured channels use, each with its rate limit. */
export function createProviders(config: DispatcherConfig, orm: Orm): ProviderSet {
  const byChannel: Record<Channel, ProviderName> = {
    email: config.PROVIDER_EMAIL,
    sms: config.PROVIDER_SMS,
    voice: config.PROVIDER_VOICE,
  };
  const lanes = new Map<string, ProviderLane>();
  for (const name of new Set(Object.values(byChannel))) {
    switch (name) {
      case 'log': {
        const provider = createLogProvider({ orm, file: config.LOG_PROVIDER_FILE });
        lanes.set(name, {
          provider,
          concurrency: config.LOG_PROVIDER_CONCURRENCY,
          rateLimit: new TokenBucket(config.LOG_PROVIDER_RATE_LIMIT),
          onAmbiguous: ambiguityPolicy(provider, config.LOG_ON_AMBIGUOUS),
        });
        break;
      }
      case 'http': {
        const provider = createHttpProvider({
          url: config.HTTP_PROVIDER_URL ?? '',
          keyHeader: config.HTTP_PROVIDER_KEY_HEADER,
          honoursKey: config.HTTP_PROVIDER_HONOURS_KEY,
        });
        lanes.set(name, {
          provider,
          concurrency: config.HTTP_PROVIDER_CONCURRENCY,
          rateLimit: new TokenBucket(config.HTTP_PROVIDER_RATE_LIMIT),
          onAmbiguous: ambiguityPolicy(provider, config.HTTP_ON_AMBIGUOUS),
        });
        break;
      }
      case 'smtp': {
        const provider = createSmtpProvider({
          host: config.SMTP_HOST,
          port: config.SMTP_PORT,
          secure: config.SMTP_SECURE,
          ...(config.SMTP_USER === undefined ? {} : { user: config.SMTP_USER }),
          ...(config.SMTP_PASSWORD === undefined ? {} : { password: config.SMTP_PASSWORD }),
          messageIdDomain: config.SMTP_MESSAGE_ID_DOMAIN,
        });
        lanes.set(name, {
          provider,
          concurrency: config.SMTP_CONCURRENCY,
          rateLimit: new TokenBucket(config.SMTP_RATE_LIMIT),
          onAmbiguous: ambiguityPolicy(provider, config.SMTP_ON_AMBIGUOUS),
        });
        break;
      }
    }
  }
  return {
    providerFor: (channel) => byChannel[channel],
    lanes,
    async close() {
      await Promise.all([...lanes.values()].map((lane) => lane.provider.close()));
    },
  };
}
