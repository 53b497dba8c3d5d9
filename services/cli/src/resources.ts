import { connect } from 'node:net';
import { ExactlyError } from '@exactly/errors';
import type { Orm } from '@exactly/persistence';
import type { Admin, Kafka } from 'kafkajs';

/** Connections a command opens on first use; `close` ends whatever was opened. */
export interface Resources {
  orm(): Promise<Orm>;
  kafka(): Promise<Kafka>;
  admin(): Promise<Admin>;
  close(): Promise<void>;
}

export function createResources({
  databaseUrl,
  kafkaBrokers,
}: {
  databaseUrl: string;
  kafkaBrokers: string[];
}): Resources {
  let orm: Promise<Orm> | undefined;
  let kafka: Promise<Kafka> | undefined;
  let admin: Promise<Admin> | undefined;
  return {
    orm() {
      orm ??= openDatabase(databaseUrl);
      return orm;
    },
    kafka() {
      kafka ??= reachKafka(kafkaBrokers).then(async () => {
        const { createKafka } = await import('@exactly/messaging');
        return createKafka({ brokers: kafkaBrokers, clientId: 'exactly-cli' });
      });
      return kafka;
    },
    admin() {
      admin ??= this.kafka().then(async (client) => {
        const created = client.admin();
        await created.connect();
        return created;
      });
      return admin;
    },
    async close() {
      const opened = await Promise.allSettled([orm, admin].filter(Boolean));
      for (const result of opened) {
        if (result.status !== 'fulfilled' || !result.value) continue;
        const value = result.value as Orm | Admin;
        await ('disconnect' in value ? value.disconnect() : value.close()).catch(() => undefined);
      }
    },
  };
}

async function openDatabase(databaseUrl: string): Promise<Orm> {
  const target = describeDatabase(databaseUrl);
  let orm: Orm | undefined;
  try {
    // Loaded on first use: most of the command line's start-up time is MikroORM's.
    const { openOrm, runSql } = await import('@exactly/persistence');
    orm = await openOrm({ databaseUrl, poolSize: 2 });
    await runSql(orm.em.fork(), 'SELECT 1');
    return orm;
  } catch (error) {
    await orm?.close().catch(() => undefined);
    throw databaseError(error, target);
  }
}

/** PostgreSQL errors turned into what an operator should do about them. */
export function databaseError(error: unknown, target = 'PostgreSQL'): ExactlyError {
  if (error instanceof ExactlyError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '57P03'].includes(code)) {
    return new ExactlyError(
      'unavailable',
      `cannot reach ${target} (${code}): is it running? Start the local one with \`npm run infra:up\`, or point DATABASE_URL at yours`,
      { cause: error },
    );
  }
  if (code === '28P01' || code === '28000') {
    return new ExactlyError(
      'config_invalid',
      `${target} refused the credentials in DATABASE_URL (${message})`,
      {
        cause: error,
      },
    );
  }
  if (code === '3D000') {
    return new ExactlyError('config_invalid', `${message}: create it, or fix DATABASE_URL`, { cause: error });
  }
  if (code === '42P01' || code === '42703') {
    return new ExactlyError(
      'config_invalid',
      `the database schema is missing or older than this command (${message}): run \`npm run migrate\``,
      { cause: error },
    );
  }
  return new ExactlyError('internal', message, { cause: error });
}

function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/**
 * Fails in seconds with advice when no broker accepts a connection (kafkajs alone retries for
 * about 17 s before it gives up, and then names no remedy).
 */
async function reachKafka(brokers: readonly string[], timeoutMs = 3_000): Promise<void> {
  const problems: string[] = [];
  for (const broker of brokers) {
    const [host = '', port = ''] = [
      broker.slice(0, broker.lastIndexOf(':')),
      broker.slice(broker.lastIndexOf(':') + 1),
    ];
    const problem = await new Promise<string | undefined>((resolve) => {
      const socket = connect({ host, port: Number(port), timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve('no answer');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    if (problem === undefined) return;
    problems.push(`${broker}: ${problem}`);
  }
  throw new ExactlyError(
    'unavailable',
    `cannot reach Kafka (${problems.join(', ')}): is it running? Start the local one with \`npm run infra:up\`, or set KAFKA_BROKERS`,
  );
}
