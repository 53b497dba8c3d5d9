import type { Scenario } from '../harness/runScenario.ts';
import { clientTimeouts } from './clientTimeouts.ts';
import { clockJump } from './clockJump.ts';
import { clockSkewDispatcher, clockSkewIngest } from './clockSkew.ts';
import { combinedFaults } from './combinedFaults.ts';
import { diskFull } from './diskFull.ts';
import { duplicateRecords } from './duplicateRecords.ts';
import { kafkaDiskFull } from './kafkaDiskFull.ts';
import { kafkaNodes } from './kafkaNodes.ts';
import { killEveryService } from './killEveryService.ts';
import { leaderMoves, leaderMovesPausedBroker } from './leaderMoves.ts';
import {
  commandOrderControl,
  duplicateCallControl,
  inboxHorizonControl,
  keyRetentionControl,
  lostCommandControl,
  outOfOrderControl,
} from './negativeControls.ts';
import { networkFaults } from './networkFaults.ts';
import { oneWayPartitions } from './oneWayPartitions.ts';
import { overload } from './overload.ts';
import { pauses } from './pauses.ts';
import { postgresRestart } from './postgresRestart.ts';
import { proxyStall } from './proxyStall.ts';
import { replayWholeTopic } from './replayWholeTopic.ts';
import { zombieDispatcher } from './zombieDispatcher.ts';

// biome-ignore lint/suspicious/noExplicitAny: each scenario has resources of its own type
export type AnyScenario = Scenario<any>;

/**
 * Every scenario, in the order the full run takes them; `ci` marks the short set `npm test` runs.
 * Each runs under `hold` against a provider that never deduplicates, unless it says `retry` (a
 * provider that honours keys); two of them run under both policies.
 */
export const scenarios: { scenario: AnyScenario; ci: boolean }[] = [
  { scenario: killEveryService, ci: true },
  { scenario: { ...killEveryService, name: 'kill-every-service-retry', onAmbiguous: 'retry' }, ci: false },
  { scenario: zombieDispatcher, ci: false },
  { scenario: { ...zombieDispatcher, name: 'zombie-dispatcher-retry', onAmbiguous: 'retry' }, ci: false },
  { scenario: kafkaNodes, ci: true },
  { scenario: leaderMoves, ci: false },
  { scenario: leaderMovesPausedBroker, ci: false },
  { scenario: postgresRestart, ci: false },
  { scenario: clientTimeouts, ci: true },
  { scenario: duplicateRecords, ci: true },
  { scenario: replayWholeTopic, ci: true },
  { scenario: networkFaults, ci: false },
  { scenario: oneWayPartitions, ci: false },
  { scenario: combinedFaults, ci: false },
  { scenario: proxyStall, ci: false },
  { scenario: pauses, ci: false },
  { scenario: clockSkewIngest, ci: false },
  { scenario: clockSkewDispatcher, ci: false },
  { scenario: clockJump, ci: false },
  { scenario: overload, ci: false },
  { scenario: diskFull, ci: false },
  { scenario: kafkaDiskFull, ci: false },
  { scenario: inboxHorizonControl, ci: true },
  { scenario: keyRetentionControl, ci: false },
  { scenario: lostCommandControl, ci: true },
  { scenario: outOfOrderControl, ci: true },
  { scenario: commandOrderControl, ci: true },
  { scenario: duplicateCallControl, ci: true },
];
