import type { Scenario } from '../harness/runScenario.ts';
import { ScratchKafka } from '../injectors/scratchKafka.ts';

interface Resources {
  kafka: ScratchKafka;
}

/**
 * The broker's disk fills under load. Kafka takes a log directory that fails a write offline and
 * stops a broker that has none left, so for a while nothing can be published or consumed; the
 * disk is then freed and the broker started again. Commands accepted meanwhile wait in the
 * outbox: each must be sent once, none lost, and none sent twice when the relay publishes again.
 */
export const kafkaDiskFull: Scenario<Resources> = {
  name: 'kafka-disk-full',
  description:
    "the broker's disk (a scenario-own single-node Kafka on a 256 MB tmpfs) filled to the last byte under load; 8 s later freed, and the broker started again if it stopped",
  seed: 1515,
  commands: 1_500,
  load: { ratePerSecond: 40 },
  settleTimeoutMs: 120_000,
  async setUp(base) {
    const kafka = await ScratchKafka.start({ tmpfsMb: 256 });
    return {
      environment: { databaseUrl: base.databaseUrl, kafkaBrokers: kafka.brokers },
      resources: { kafka },
    };
  },
  async release({ kafka }) {
    await kafka.stop();
  },
  async run(context, { kafka }) {
    const load = context.load();
    try {
      await context.sleep(context.between(4_000, 6_000));
      const filled = await kafka.fillDisk();
      context.injected(`Kafka's disk full (${Math.round(filled / 1_048_576)} MB of zeros) for 8 s`);
      await context.sleep(8_000);
      const stopped = !(await kafka.running());
      context.injected(
        `the broker ${stopped ? 'stopped (its only log directory failed)' : 'kept running'}`,
        0,
      );
      if (!stopped && filled === 0) context.problem('the disk was not filled: the fault did not land');
    } finally {
      await kafka.freeDisk();
      await kafka.ensureRunning();
      context.injected('disk freed (the broker started again if it had stopped)', 0);
      await load;
    }
  },
};
