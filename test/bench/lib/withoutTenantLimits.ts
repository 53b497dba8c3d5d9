/**
 * The ingest API's per-tenant fairness limits, off. Each bench phase sends as one account, and
 * the defaults (`ACCOUNT_RATE_LIMIT` 1,000 a second, 256 requests in progress per account and per
 * key) would cap every phase at the limiter's rate and measure it instead of the pipeline: a run
 * of 2026-12-04 read ingest and replays at 1,008 and 1,014/s, both the limit. The limiter has a
 * phase of its own (`tenantIsolation.ts`).
 */
export const withoutTenantLimits: Readonly<Record<string, string>> = {
  ACCOUNT_RATE_LIMIT: '0',
  API_KEY_RATE_LIMIT: '0',
  ACCOUNT_CONCURRENCY: '0',
  API_KEY_CONCURRENCY: '0',
};
