import { freePort, ServiceProcess, waitForHttp } from '@exactly/testkit';

export interface RelayProcess {
  service: ServiceProcess;
  opsUrl: string;
}

/** Starts services/relay/dist/main.js as a real process and waits until /readyz answers 200. */
export async function startRelayProcess(name: string, env: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const service = new ServiceProcess({
    entry: 'services/relay/dist/main.js',
    name,
    env: { PORT: String(port), RELAY_LEASE_TTL: '3s', LOG_LEVEL: 'info', ...env },
  });
  service.start();
  const opsUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${opsUrl}/readyz`, 30_000);
  } catch (error) {
    await service.kill();
    throw new Error(`${name} did not become ready: ${(error as Error).message}\n${service.logs}`);
  }
  return { service, opsUrl };
}
