// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and says where the process's time went:
// self time by function and by area (a package, the service's own code, Node's internals, GC).

import { readFileSync } from 'node:fs';
import { round } from './stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CostEntry {
  name: string;
  /** Share of the busy (non-idle) time, in percent. */
  percent: number;
}

export interface ProfileSummary {
  /** Seconds of the profile summarised. */
  seconds: number;
  /** Share of the wall time the process was busy (not idle), in percent of one core. */
  busyPercent: number;
  areas: CostEntry[];
  functions: CostEntry[];
}

/** Which part of the stack a frame belongs to. */
function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  if (url.startsWith('node:')) return 'node internals';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (module) return module;
  const own = /\/(services|packages)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'services' ? `${own[2]} (service code)` : `@exactly/${own[2]}`;
  return url.replace(/^file:\/\//, '');
}

/**
 * Summarises the samples taken `skipSeconds` after the profile started (to leave start-up out:
 * module loading, connecting) until `untilSeconds` (to leave shut-down out).
 */
export function summariseCpuProfile(
  file: string,
  { skipSeconds = 0, untilSeconds = Number.POSITIVE_INFINITY, top = 15 } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  let at = 0;
  let windowMicros = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < skipSeconds * 1e6 || at > untilSeconds * 1e6) return;
    windowMicros += delta;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const where = frame.url
      ? ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(services|packages)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const busy = total - idle;
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, percent: round((micros / Math.max(1, busy)) * 100) }));
  return {
    seconds: round(windowMicros / 1e6),
    busyPercent: round((busy / Math.max(1, windowMicros)) * 100),
    areas: rank(areas),
    functions: rank(functions),
  };
}
