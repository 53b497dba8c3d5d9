import { type ServiceProcess, startService } from '@exactly/testkit';

export interface RelayProcess {
  service: ServiceProcess;
  opsUrl: string;
}

/** Starts the relay (its package's entry point) as a real process and waits until /readyz answers 200. */
export async function startRelayProcess(name: string, env: Record<string, string>): Promise<RelayProcess> {
  const relay = await startService('relay', {
    name,
    env: { RELAY_LEASE_TTL: '3s', LOG_LEVEL: 'info', ...env },
    readyTimeoutMs: 30_000,
  });
  return { service: relay.process, opsUrl: relay.url };
}
