import { readFileSync } from 'node:fs';

export type DeployedService = 'ingest-api' | 'relay' | 'dispatcher';

/**
 * NODE_OPTIONS giving a bench process the JS heap limit its service is deployed with (the
 * `--max-old-space-size` of `infra/k8s/<service>.yaml`), read from the manifest so the two cannot
 * drift apart. Without a limit, V8 sizes the heap from this machine's memory and puts off full
 * collections, so a service's RSS climbs for minutes though its live heap does not grow.
 */
export function deployedHeapLimit(service: DeployedService): string {
  const file = new URL(`../../../infra/k8s/${service}.yaml`, import.meta.url);
  const match = /--max-old-space-size=(\d+)/.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`infra/k8s/${service}.yaml sets no --max-old-space-size in NODE_OPTIONS`);
  return `--max-old-space-size=${match[1]}`;
}

/** The bench's own NODE_OPTIONS (if any) with `flag` after them, for a service process's env. */
export function nodeOptionsWith(flag: string): { NODE_OPTIONS: string } {
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, flag].filter(Boolean).join(' ') };
}
