import { readFileSync } from 'node:fs';

export type DeployedService = 'ingest-api' | 'relay' | 'dispatcher';

/**
 * The V8 flags a service is deployed with: the `NODE_OPTIONS` of `infra/k8s/<service>.yaml`
 * (its JS heap limit, `--max-old-space-size`, and its young generation's, `--max-semi-space-size`),
 * read from the manifest so a bench process and the deployment cannot drift apart. Without them
 * V8 sizes both from this machine's memory: full collections are put off and the young
 * generation grows to 128 MiB, so a service's RSS climbs for minutes though its live heap does not.
 */
export function deployedNodeOptions(service: DeployedService): string {
  const file = new URL(`../../../infra/k8s/${service}.yaml`, import.meta.url);
  const match = /- name: NODE_OPTIONS\s+value: (.+)/.exec(readFileSync(file, 'utf8'));
  const flags = match?.[1]?.trim() ?? '';
  if (!/--max-old-space-size=\d+/.test(flags)) {
    throw new Error(`infra/k8s/${service}.yaml sets no --max-old-space-size in NODE_OPTIONS`);
  }
  return flags;
}

/** The bench's own NODE_OPTIONS (if any) with `flags` after them, for a service process's env. */
export function nodeOptionsWith(flags: string): { NODE_OPTIONS: string } {
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, flags].filter(Boolean).join(' ') };
}
