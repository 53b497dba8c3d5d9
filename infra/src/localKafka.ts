import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExactlyError } from '@exactly/errors';
import { Kafka, logLevel } from 'kafkajs';
import { isOurProcess, isPortFree, readPid, stopProcess, tailOf, waitUntil } from './processes.js';
import { repoRoot, stateDir } from './stateDir.js';

/** `single`: one combined broker+controller. `cluster`: three of them, replication factor 3, min ISR 2. */
export type KafkaMode = 'single' | 'cluster';

export interface KafkaNode {
  nodeId: number;
  brokerPort: number;
  controllerPort: number;
  dir: string;
}

export interface KafkaTopology {
  mode: KafkaMode;
  nodes: KafkaNode[];
  /** host:port of every broker, as KAFKA_BROKERS wants them. */
  brokers: string[];
}

const kafkaHome = join(repoRoot, 'infra', 'kafka');
const libDir = join(kafkaHome, 'lib');
const pomFile = join(kafkaHome, 'pom.xml');
const resolvedStamp = join(libDir, '.resolved');

export function kafkaTopology(mode: KafkaMode): KafkaTopology {
  const ids = mode === 'single' ? [1] : [1, 2, 3];
  const nodes = ids.map((nodeId) => {
    // single: 19092/19093; cluster: 19192/19193, 19292/19293, 19392/19393.
    const base = mode === 'single' ? 19_092 : 19_092 + nodeId * 100;
    return {
      nodeId,
      brokerPort: base,
      controllerPort: base + 1,
      dir: join(stateDir(), 'kafka', mode, `node-${nodeId}`),
    };
  });
  return { mode, nodes, brokers: nodes.map((node) => `127.0.0.1:${node.brokerPort}`) };
}

/** The broker's server.properties for one node of the topology. */
export function serverProperties(topology: KafkaTopology, node: KafkaNode): string {
  const replication = topology.nodes.length;
  const minIsr = topology.mode === 'single' ? 1 : 2;
  const voters = topology.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
  return [
    'process.roles=broker,controller',
    `node.id=${node.nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.brokerPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(node.dir, 'data')}`,
    // Internal topics must fit the node count, or consumer groups and transactions never form.
    `offsets.topic.replication.factor=${replication}`,
    `transaction.state.log.replication.factor=${replication}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `default.replication.factor=${replication}`,
    `min.insync.replicas=${minIsr}`,
    'offsets.topic.num.partitions=12',
    // Topics are created explicitly with their settings; a typo must fail, not create a topic.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'unclean.leader.election.enable=false',
    // Expired segments are deleted by a check 30 s after start and then every interval (5 minutes
    // by default). Hourly here: the fault suite's inbox-horizon control makes a topic with a 1 s
    // retention and needs its records to stay until it rewinds, which a check landing mid-scenario
    // broke. Local brokers keep expired data up to an hour longer; nothing else depends on it.
    'log.retention.check.interval.ms=3600000',
    '',
  ].join('\n');
}

/** Resolves the broker's jars from Maven Central into infra/kafka/lib when missing or older than the pom. */
export async function resolveKafkaJars(): Promise<string> {
  const [pom, stamp] = await Promise.all([stat(pomFile), stat(resolvedStamp).catch(() => undefined)]);
  if (stamp && stamp.mtimeMs >= pom.mtimeMs) return libDir;
  console.error('infra: resolving the Kafka broker from Maven Central into infra/kafka/lib');
  const maven = spawnSync(
    'mvn',
    ['-q', '-B', '-Dstyle.color=never', '-f', pomFile, 'dependency:copy-dependencies'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (maven.error || maven.status !== 0) {
    throw new ExactlyError(
      'infra_failed',
      `Maven could not resolve the Kafka broker (needs mvn on PATH and Maven Central): ${maven.error?.message ?? ''}\n${maven.stdout}${maven.stderr}`,
    );
  }
  await writeFile(resolvedStamp, new Date().toISOString());
  return libDir;
}

function java(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

const classpath = () => `${libDir}/*`;
const propertiesFile = (node: KafkaNode) => join(node.dir, 'server.properties');
const pidFile = (node: KafkaNode) => join(node.dir, 'kafka.pid');
const logsDir = (node: KafkaNode) => join(node.dir, 'logs');

/**
 * A KRaft cluster id: a base64url UUID of 22 characters, never starting with '-', which
 * kafka-storage's argument parser would take for an option (one fresh state in 64 failed to
 * format: "argument --cluster-id/-t: expected one argument"). Kafka's own ids avoid it too.
 */
export function newClusterId(uuid: () => string = randomUUID): string {
  for (;;) {
    const id = Buffer.from(uuid().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function clusterId(topology: KafkaTopology): Promise<string> {
  const file = join(stateDir(), 'kafka', topology.mode, 'cluster-id');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing.trim();
  const id = newClusterId();
  await mkdir(join(stateDir(), 'kafka', topology.mode), { recursive: true });
  await writeFile(file, id);
  return id;
}

async function formatStorage(topology: KafkaTopology, node: KafkaNode, id: string): Promise<void> {
  await mkdir(logsDir(node), { recursive: true });
  await writeFile(propertiesFile(node), serverProperties(topology, node));
  const formatted = await stat(join(node.dir, 'data', 'meta.properties')).then(
    () => true,
    () => false,
  );
  if (formatted) return;
  const result = spawnSync(
    java(),
    ['-cp', classpath(), 'kafka.tools.StorageTool', 'format', '-t', id, '-c', propertiesFile(node)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new ExactlyError(
      'infra_failed',
      `formatting Kafka storage for node ${node.nodeId} failed:\n${result.stdout}${result.stderr}`,
    );
  }
}

/** Is the node's recorded process alive and still our broker? */
export async function kafkaNodePid(node: KafkaNode): Promise<number | undefined> {
  const pid = await readPid(pidFile(node));
  return pid !== undefined && (await isOurProcess(pid, propertiesFile(node))) ? pid : undefined;
}

/** Starts one node of the topology (detached, it outlives this process); a running node is reused. */
export async function startKafkaNode(topology: KafkaTopology, node: KafkaNode): Promise<boolean> {
  if ((await kafkaNodePid(node)) !== undefined) return false;
  for (const port of [node.brokerPort, node.controllerPort]) {
    if (!(await isPortFree(port))) {
      throw new ExactlyError(
        'infra_failed',
        `port 127.0.0.1:${port} for Kafka node ${node.nodeId} is taken by another process; stop it or set KAFKA_BROKERS to use another broker`,
      );
    }
  }
  await formatStorage(topology, node, await clusterId(topology));
  const out = openSync(join(logsDir(node), 'stdout.log'), 'a');
  const heap = topology.mode === 'single' ? '1g' : '768m';
  const child = spawn(
    java(),
    [
      '-Xms256m',
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${logsDir(node)}`,
      `-Dlog4j2.configurationFile=${join(kafkaHome, 'log4j2.properties')}`,
      '-cp',
      classpath(),
      'kafka.Kafka',
      propertiesFile(node),
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  if (child.pid === undefined)
    throw new ExactlyError('infra_failed', `could not start java for Kafka node ${node.nodeId}`);
  await writeFile(pidFile(node), `${child.pid}\n`);
  child.unref();
  return true;
}

/** Waits until every broker of the topology answers a metadata request. */
export async function waitForKafka(topology: KafkaTopology, timeoutMs = 90_000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'exactly-infra',
    brokers: topology.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await waitUntil(
      `Kafka (${topology.mode}) at ${topology.brokers.join(',')}`,
      async () => {
        for (const node of topology.nodes) {
          if ((await kafkaNodePid(node)) === undefined) {
            throw new ExactlyError(
              'infra_failed',
              `Kafka node ${node.nodeId} exited during start-up; its log ends with:\n${await tailOf(join(logsDir(node), 'server.log'), 30)}\n${await tailOf(join(logsDir(node), 'stdout.log'), 10)}`,
            );
          }
        }
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length === topology.nodes.length && cluster.controller !== null;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    const cause = (error as ExactlyError).cause;
    throw cause instanceof ExactlyError ? cause : error;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Starts (or reuses) the local Kafka of the given mode and waits until it is ready. */
export async function startLocalKafka(
  mode: KafkaMode = 'single',
): Promise<{ brokers: string[]; startedNow: boolean }> {
  await resolveKafkaJars();
  const topology = kafkaTopology(mode);
  // Every node must be formatted with the same cluster id: create it before the nodes start in parallel.
  await clusterId(topology);
  const started = await Promise.all(topology.nodes.map((node) => startKafkaNode(topology, node)));
  try {
    await waitForKafka(topology);
  } catch (error) {
    await Promise.all(topology.nodes.filter((_, i) => started[i]).map((node) => stopKafkaNode(node, 5_000)));
    throw error;
  }
  return { brokers: topology.brokers, startedNow: started.some(Boolean) };
}

/** Stops one node by its recorded pid (SIGTERM for a controlled shutdown, SIGKILL if it hangs). */
export async function stopKafkaNode(node: KafkaNode, graceMs = 30_000): Promise<boolean> {
  const pid = await kafkaNodePid(node);
  if (pid === undefined) return false;
  await stopProcess(pid, graceMs);
  return true;
}

/** Stops the nodes this project started for the mode; processes it did not start are never touched. */
export async function stopLocalKafka(mode: KafkaMode = 'single'): Promise<boolean> {
  const stopped = await Promise.all(kafkaTopology(mode).nodes.map((node) => stopKafkaNode(node)));
  return stopped.some(Boolean);
}

export async function localKafkaStatus(
  mode: KafkaMode,
): Promise<{ nodeId: number; pid?: number; broker: string }[]> {
  return Promise.all(
    kafkaTopology(mode).nodes.map(async (node) => {
      const pid = await kafkaNodePid(node);
      const broker = `127.0.0.1:${node.brokerPort}`;
      return pid === undefined ? { nodeId: node.nodeId, broker } : { nodeId: node.nodeId, pid, broker };
    }),
  );
}

/** The broker version resolved into infra/kafka/lib (read from the kafka_2.13 jar's name). */
export async function localKafkaVersion(): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const jar = (await readdir(await resolveKafkaJars())).find((name) => /^kafka_2\.13-.*\.jar$/.test(name));
  return jar?.replace(/^kafka_2\.13-(.*)\.jar$/, '$1') ?? 'unknown';
}
