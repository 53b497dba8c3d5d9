import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type KafkaNode,
  type KafkaTopology,
  kafkaNodePid,
  resolveKafkaJars,
  startKafkaNode,
  stopKafkaNode,
  waitForKafka,
} from '@exactly/infra';
import { freePort } from '@exactly/testkit';
import { DiskFiller } from './diskFiller.ts';
import { inStateDir } from './inStateDir.ts';
import { run } from './systemTools.ts';

/**
 * A single-node Kafka of a scenario's own (never the shared broker or the suite's cluster), on
 * free ports, with its log directory on a small tmpfs so its disk can be filled. Kafka stops a
 * broker whose only log directory fails (a write that finds no space), so the scenario frees the
 * disk and starts it again, as an operator would.
 */
export class ScratchKafka {
  readonly dir: string;
  private readonly topology: KafkaTopology;
  private readonly node: KafkaNode;
  private readonly filler: DiskFiller;

  private constructor(dir: string, node: KafkaNode) {
    this.dir = dir;
    this.node = node;
    this.topology = { mode: 'single', nodes: [node], brokers: [`127.0.0.1:${node.brokerPort}`] };
    this.filler = new DiskFiller(join(dir, 'data'));
  }

  static async start(options: { tmpfsMb: number }): Promise<ScratchKafka> {
    await resolveKafkaJars();
    const dir = `/tmp/exactly-faults-kafka-${randomBytes(4).toString('hex')}`;
    await mkdir(join(dir, 'data'), { recursive: true, mode: 0o755 });
    const mounted = run('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${options.tmpfsMb}m,mode=0755`,
      'tmpfs',
      join(dir, 'data'),
    ]);
    if (mounted.status !== 0) throw new Error(`mounting a tmpfs on ${dir}/data failed: ${mounted.output}`);
    const node = { nodeId: 1, brokerPort: await freePort(), controllerPort: await freePort(), dir };
    const server = new ScratchKafka(dir, node);
    try {
      await server.ensureRunning();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get brokers(): string[] {
    return this.topology.brokers;
  }

  async running(): Promise<boolean> {
    return (await kafkaNodePid(this.node)) !== undefined;
  }

  /** Starts the broker if it is down (after its log directory failed, say) and waits until it answers. */
  async ensureRunning(): Promise<void> {
    await inStateDir(this.dir, async () => {
      await startKafkaNode(this.topology, this.node);
      await waitForKafka(this.topology, 120_000);
    });
  }

  /** Fills the broker's disk up to the last byte; returns the bytes written. */
  fillDisk(): Promise<number> {
    return this.filler.fill();
  }

  freeDisk(): Promise<void> {
    return this.filler.free();
  }

  /** Stops the broker, unmounts the tmpfs and deletes the folder. */
  async stop(): Promise<void> {
    await this.freeDisk();
    await stopKafkaNode(this.node, 10_000).catch(() => false);
    run('umount', ['-l', join(this.dir, 'data')]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
