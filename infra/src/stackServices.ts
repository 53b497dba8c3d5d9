/** One deployable that `npm start` runs. */
export interface StackService {
  /** The service's package is `@exactly/<name>`; its entry point is resolved from it (`serviceEntry`). */
  name: string;
  port: string;
}

/**
 * The deployables `start` runs, in start order. `PORT` in the environment is the ingest API's;
 * the others keep their own ports (RELAY_PORT / DISPATCHER_PORT / CONSOLE_PORT / MAINTENANCE_PORT override them).
 */
export function stackServices(env: NodeJS.ProcessEnv = process.env): StackService[] {
  return [
    { name: 'ingest-api', port: env.PORT ?? '3000' },
    { name: 'relay', port: env.RELAY_PORT ?? '3001' },
    { name: 'dispatcher', port: env.DISPATCHER_PORT ?? '3002' },
    { name: 'console', port: env.CONSOLE_PORT ?? '3003' },
    { name: 'maintenance', port: env.MAINTENANCE_PORT ?? '3004' },
  ];
}

/** The `/metrics` the console scrapes for the counters only the other services hold. */
export function consoleMetricsUrls(services: readonly StackService[]): string {
  return services
    .filter((service) => service.name !== 'console')
    .map((service) => `http://127.0.0.1:${service.port}/metrics`)
    .join(',');
}

/** Where the running services answer, as the start summary prints it. */
export function serviceUrlLines(
  running: readonly StackService[],
  { host = '127.0.0.1', operatorToken }: { host?: string; operatorToken: string },
): string[] {
  const lines: string[] = [];
  const ingest = running.find((service) => service.name === 'ingest-api');
  if (ingest) lines.push(`ingest API: http://${host}:${ingest.port} (Ctrl-C stops everything)`);
  const consoleService = running.find((service) => service.name === 'console');
  if (consoleService)
    lines.push(
      `dashboard: http://${host}:${consoleService.port}/dashboard (operator token: ${operatorToken})`,
    );
  return lines;
}
