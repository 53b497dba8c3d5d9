import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleMetricsUrls, serviceUrlLines, stackServices } from './stackServices.js';
import { repoRoot } from './stateDir.js';

describe('the services npm start runs', () => {
  it('are the ingest API, the relay, the dispatcher, the console and maintenance, each on its own port', () => {
    const services = stackServices({});
    expect(services.map((service) => `${service.name}:${service.port}`)).toEqual([
      'ingest-api:3000',
      'relay:3001',
      'dispatcher:3002',
      'console:3003',
      'maintenance:3004',
    ]);
    // Each is started from its package's `./main` export (serviceEntry), so each must have one.
    for (const service of services) {
      const manifest = JSON.parse(
        readFileSync(join(repoRoot, 'services', service.name, 'package.json'), 'utf8'),
      );
      expect(manifest.exports?.['./main']).toBe('./dist/main.js');
    }
  });

  it('take their ports from PORT, RELAY_PORT, DISPATCHER_PORT, CONSOLE_PORT and MAINTENANCE_PORT', () => {
    const services = stackServices({
      PORT: '4000',
      RELAY_PORT: '4001',
      DISPATCHER_PORT: '4002',
      CONSOLE_PORT: '4003',
      MAINTENANCE_PORT: '4004',
    });
    expect(services.map((service) => service.port)).toEqual(['4000', '4001', '4002', '4003', '4004']);
  });

  it('give the console the other services’ /metrics to scrape', () => {
    expect(consoleMetricsUrls(stackServices({}))).toBe(
      'http://127.0.0.1:3000/metrics,http://127.0.0.1:3001/metrics,http://127.0.0.1:3002/metrics,http://127.0.0.1:3004/metrics',
    );
  });

  it('print the dashboard at the console’s address, and the API at its own', () => {
    expect(serviceUrlLines(stackServices({}), { operatorToken: 'op_token' })).toEqual([
      'ingest API: http://127.0.0.1:3000 (Ctrl-C stops everything)',
      'dashboard: http://127.0.0.1:3003/dashboard (operator token: op_token)',
    ]);
    const withoutConsole = stackServices({}).filter((service) => service.name !== 'console');
    expect(serviceUrlLines(withoutConsole, { operatorToken: 'op_token' })).toEqual([
      'ingest API: http://127.0.0.1:3000 (Ctrl-C stops everything)',
    ]);
  });
});
