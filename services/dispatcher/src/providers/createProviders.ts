import type { Channel } from '@exactly/contracts';
import type { Orm } from '@exactly/persistence';
import type { DispatcherConfig, ProviderName } from '../config.js';
import { TokenBucket } from '../effects/tokenBucket.js';
import { createHttpProvider } from './httpProvider.js';
import { createLogProvider } from './logProvider.js';
import type { Provider } from './provider.js';
import { createSmtpProvider } from './smtpProvider.js';

/** A provider with its limits: calls in flight at most, and calls a second. */
export interface ProviderLane {
  provider: Provider;
  concurrency: number;
  rateLimit: TokenBucket;
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
      case 'log':
        lanes.set(name, {
          provider: createLogProvider({ orm, file: config.LOG_PROVIDER_FILE }),
          concurrency: config.LOG_PROVIDER_CONCURRENCY,
          rateLimit: new TokenBucket(config.LOG_PROVIDER_RATE_LIMIT),
        });
        break;
      case 'http':
        lanes.set(name, {
          provider: createHttpProvider({
            url: config.HTTP_PROVIDER_URL ?? '',
            keyHeader: config.HTTP_PROVIDER_KEY_HEADER,
          }),
          concurrency: config.HTTP_PROVIDER_CONCURRENCY,
          rateLimit: new TokenBucket(config.HTTP_PROVIDER_RATE_LIMIT),
        });
        break;
      case 'smtp':
        lanes.set(name, {
          provider: createSmtpProvider({
            host: config.SMTP_HOST,
            port: config.SMTP_PORT,
            secure: config.SMTP_SECURE,
            ...(config.SMTP_USER === undefined ? {} : { user: config.SMTP_USER }),
            ...(config.SMTP_PASSWORD === undefined ? {} : { password: config.SMTP_PASSWORD }),
            messageIdDomain: config.SMTP_MESSAGE_ID_DOMAIN,
          }),
          concurrency: config.SMTP_CONCURRENCY,
          rateLimit: new TokenBucket(config.SMTP_RATE_LIMIT),
        });
        break;
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
