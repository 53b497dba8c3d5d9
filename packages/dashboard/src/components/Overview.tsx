import { useMemo } from 'preact/hooks';
import type { AlignedData } from 'uplot';
import { clock, count, duration, perSecond, rate, recent } from '../format.js';
import { type DashboardSnapshot, duplicateSeries, throughputSeries } from '../model.js';
import { Chart } from './Chart.js';
import { labels, partitionBarsOptions, timeSeriesOptions } from './charts.js';
import { Tile } from './Tile.js';

const throughputOptions = timeSeriesOptions(throughputSeries, '/s');
const duplicatesOptions = timeSeriesOptions(duplicateSeries, '/s');
const backlogOptions = timeSeriesOptions(['outboxBacklog', 'lag'], 'records');
const lagOptions = partitionBarsOptions();

/** Tiles and charts: throughput, duplicates, backlog and lag. */
export function Overview({ snapshot }: { snapshot: DashboardSnapshot }) {
  const nowMs = Date.parse(snapshot.at);
  const { throughput, duplicates, gauges, lag, outbox } = snapshot;
  const seconds = (x: readonly number[]) => x.map((t) => t / 1_000);
  const lastMinute = Math.max(1, Math.round(60_000 / snapshot.bucketMs));

  const throughputData = useMemo<AlignedData>(
    () => [
      seconds(throughput.t),
      ...throughputSeries.map((key) =>
        perSecond(throughput.counts[key], throughput.t, snapshot.bucketMs, nowMs),
      ),
    ],
    [snapshot],
  );
  const duplicatesData = useMemo<AlignedData>(
    () => [
      seconds(duplicates.t),
      ...duplicateSeries.map((key) =>
        perSecond(duplicates.counts[key], duplicates.t, snapshot.bucketMs, nowMs),
      ),
    ],
    [snapshot],
  );
  const backlogData = useMemo<AlignedData>(
    () => [seconds(gauges.t), gauges.outboxBacklog, gauges.lag],
    [snapshot],
  );
  const partitions = lag?.partitions ?? [];
  const lagData = useMemo<AlignedData>(
    () => [partitions.map((partition) => partition.partition), partitions.map((partition) => partition.lag)],
    [snapshot],
  );
  const perMinute = (key: (typeof throughputSeries)[number]) => recent(throughput.counts[key], lastMinute);
  const windowMinutes = Math.round(snapshot.windowMs / 60_000);
  const droppedTotal = duplicateSeries.reduce((sum, key) => sum + duplicates.totals[key], 0);
  const windowStart = Date.parse(snapshot.at) - snapshot.windowMs;
  // Replays and duplicates are counters only the services hold: counted from when sampling began.
  const countedSince = snapshot.countedSince === null ? null : Date.parse(snapshot.countedSince);
  const sinceSampling =
    countedSince === null
      ? ', counting from the next sample'
      : countedSince > windowStart + snapshot.bucketMs
        ? `, since ${clock(snapshot.countedSince)}`
        : '';

  return (
    <>
      <section class="tiles" aria-label="figures">
        <Tile
          testId="tile-accepted"
          label="Accepted"
          value={count(throughput.totals.accepted)}
          detail={`${rate(perMinute('accepted') / 60)}/s over the last minute`}
        />
        <Tile
          testId="tile-sent"
          label="Sent"
          value={count(throughput.totals.sent)}
          detail={`${rate(perMinute('sent') / 60)}/s over the last minute`}
        />
        <Tile
          testId="tile-replayed"
          label="Replayed"
          value={count(throughput.totals.replayed)}
          detail={`stored replies sent again${sinceSampling}`}
        />
        <Tile
          testId="tile-failed"
          label="Failed"
          value={count(throughput.totals.failed)}
          tone={throughput.totals.failed > 0 ? 'bad' : undefined}
          detail="every attempt failed or refused"
        />
        <Tile
          testId="tile-dead-lettered"
          label="Dead-lettered"
          value={count(throughput.totals.deadLettered)}
          tone={(snapshot.deadLetters?.pending ?? 0) > 0 ? 'warn' : undefined}
          detail={`${count(snapshot.deadLetters?.pending)} waiting for a redrive`}
        />
        <Tile
          testId="tile-held"
          label="Held"
          value={count(snapshot.held?.count)}
          tone={(snapshot.held?.count ?? 0) > 0 ? 'warn' : undefined}
          detail={snapshot.held ? 'outcome unknown: an operator decides' : 'not read'}
        />
        <Tile
          testId="tile-outbox"
          label="Outbox backlog"
          value={count(outbox?.rows)}
          tone={(outbox?.oldestAgeMs ?? 0) > 10_000 ? 'warn' : undefined}
          detail={outbox ? `oldest ${duration(outbox.oldestAgeMs)}` : 'not read'}
        />
        <Tile
          testId="tile-lag"
          label="Consumer lag"
          value={count(lag?.total)}
          detail={
            lag
              ? `${lag.group}${lag.source === 'database' ? ' (no Kafka: stored offsets only)' : ''}`
              : 'not read'
          }
        />
        <Tile
          testId="tile-duplicates"
          label="Duplicates dropped"
          value={count(droppedTotal)}
          detail={`${count(duplicates.totals.idempotencyReplays)} by idempotency, ${count(duplicates.totals.inboxDuplicates + duplicates.totals.batchDuplicates)} by the inbox${sinceSampling}`}
        />
      </section>
      <p class="muted window" data-testid="window-note">
        Totals over the last {windowMinutes} minutes.
        {sinceSampling === ''
          ? ''
          : ' Replays and duplicates dropped are counted by the services only while they run, so this page counts them from when it began sampling' +
            (countedSince === null ? '.' : ` (${clock(snapshot.countedSince)}).`)}
      </p>

      <section class="grid">
        <article class="card wide">
          <h2>Throughput</h2>
          <Chart label="throughput per second" options={throughputOptions} data={throughputData} />
        </article>
        <article class="card">
          <h2>Duplicates dropped</h2>
          <Chart
            label="duplicates dropped per second"
            options={duplicatesOptions}
            data={duplicatesData}
            height={180}
          />
          <dl class="figures">
            {duplicateSeries.map((key) => (
              <div key={key}>
                <dt>{labels[key]}</dt>
                <dd data-testid={`duplicates-${key}`}>{count(duplicates.totals[key])}</dd>
              </div>
            ))}
          </dl>
        </article>
        <article class="card">
          <h2>Outbox backlog and consumer lag</h2>
          <Chart
            label="outbox backlog and consumer lag"
            options={backlogOptions}
            data={backlogData}
            height={180}
          />
          {outbox && (
            <dl class="figures">
              <div>
                <dt>unpublished rows</dt>
                <dd data-testid="outbox-rows">{count(outbox.rows)}</dd>
              </div>
              <div>
                <dt>oldest</dt>
                <dd>{duration(outbox.oldestAgeMs)}</dd>
              </div>
              <div>
                <dt>set aside</dt>
                <dd>{count(outbox.setAside)}</dd>
              </div>
              <div>
                <dt>relays live · shards leased</dt>
                <dd>
                  {outbox.relays.live} · {outbox.relays.leasedShards}/{outbox.relays.shards}
                </dd>
              </div>
            </dl>
          )}
        </article>
        <article class="card wide">
          <h2>Consumer lag per partition</h2>
          {lag === null ? (
            <p class="muted">Not read (see the sources below).</p>
          ) : (
            <>
              <p class="muted">
                group <code>{lag.group}</code> on <code>{lag.topic}</code>
                {lag.state ? ` · ${lag.state}` : ''}
                {lag.members !== null ? ` · ${lag.members} member${lag.members === 1 ? '' : 's'}` : ''}
              </p>
              {lag.source === 'kafka' && partitions.length > 0 && (
                <Chart label="lag per partition" options={lagOptions} data={lagData} height={160} />
              )}
              <details open={lag.source === 'database'}>
                <summary>Offsets per partition</summary>
                <div class="scroll">
                  <table>
                    <thead>
                      <tr>
                        <th>partition</th>
                        <th>stored (PostgreSQL)</th>
                        <th>committed (Kafka)</th>
                        <th>high watermark</th>
                        <th>lag</th>
                      </tr>
                    </thead>
                    <tbody>
                      {partitions.map((partition) => (
                        <tr key={partition.partition}>
                          <td>{partition.partition}</td>
                          <td>{count(partition.stored)}</td>
                          <td>{count(partition.committed)}</td>
                          <td>{count(partition.high)}</td>
                          <td>{count(partition.lag)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            </>
          )}
        </article>
      </section>
    </>
  );
}
