import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isAlive,
  type KafkaNode,
  kafkaNodePid,
  kafkaTopology,
  startKafkaNode,
  startLocalKafka,
  stopLocalKafka,
  waitForKafka,
} from '@exactly/infra';
import { createKafka } from '@exactly/messaging';

const topology = kafkaTopology('cluster');
let startedBySuite: boolean | undefined;

/**
 * The three-node cluster (RF 3, min ISR 2) on 19192/19292/19392, started when it is not running
 * (idempotent). Remembers whether this suite started it, so the teardown stops only what it started.
 */
export async function ensureCluster(): Promise<string[]> {
  const { brokers, startedNow } = await startLocalKafka('cluster');
  startedBySuite ??= startedNow;
  await waitForEveryBroker(brokers);
  return brokers;
}

/**
 * Waits until the cluster's metadata lists all its nodes as brokers: a node whose port is open
 * may not have registered with the controller yet (a run of 2026-12-05 read "2 brokers" just after
 * a node was restarted), and a scenario must start on the whole cluster.
 */
async function waitForEveryBroker(brokers: string[], timeoutMs = 120_000): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'faults-cluster-check' }).admin();
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  try {
    await admin.connect();
    while (Date.now() < deadline) {
      seen = (await admin.describeCluster()).brokers.length;
      if (seen >= topology.nodes.length) return;
      await sleep(500);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  throw new Error(
    `the Kafka cluster lists ${seen} of its ${topology.nodes.length} brokers after ${timeoutMs / 1_000} s; see each node's logs/server.log under ${topology.nodes[0]?.dir ?? 'its data folder'}`,
  );
}

/** The suite's teardown: stops the cluster only if the suite started it. */
export async function stopClusterIfStartedHere(): Promise<boolean> {
  if (!startedBySuite) return false;
  startedBySuite = undefined;
  return stopLocalKafka('cluster');
}

export const clusterNodes: readonly KafkaNode[] = topology.nodes;

/**
 * The node that is the active KRaft controller: the one whose log says it became the active
 * controller at the highest epoch (the quorum's epochs only grow). kafkajs' metadata names a
 * random broker as "controller" under KRaft, so the log is the reliable source here.
 */
export async function activeController(): Promise<KafkaNode> {
  let best: { node: KafkaNode; epoch: number } | undefined;
  for (const node of topology.nodes) {
    if ((await kafkaNodePid(node)) === undefined) continue;
    const log = await readFile(join(node.dir, 'logs', 'server.log'), 'utf8').catch(() => '');
    for (const match of log.matchAll(/Becoming the active controller at epoch (\d+)/g)) {
      const epoch = Number(match[1]);
      if (!best || epoch > best.epoch) best = { node, epoch };
    }
  }
  if (!best) throw new Error('no running node of the cluster says it is the active controller');
  return best.node;
}

/** kill -9 of one node's JVM. */
export async function killNode(node: KafkaNode): Promise<void> {
  const pid = await kafkaNodePid(node);
  if (pid === undefined) throw new Error(`Kafka node ${node.nodeId} is not running`);
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** SIGSTOP of a node's broker for `ms`, then SIGCONT: it neither answers nor dies (a long GC pause). */
export async function pauseNode(node: KafkaNode, ms: number): Promise<void> {
  const pid = await kafkaNodePid(node);
  if (pid === undefined) throw new Error(`Kafka node ${node.nodeId} is not running`);
  process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** Starts a node again and waits until the whole cluster answers. */
export async function restartNode(node: KafkaNode): Promise<void> {
  await startKafkaNode(topology, node);
  await waitForKafka(topology, 120_000);
}

/** Starts whichever node is down (a scenario's clean-up after a failed restart). */
export async function healCluster(): Promise<void> {
  for (const node of topology.nodes) await startKafkaNode(topology, node);
  await waitForKafka(topology, 120_000);
}
