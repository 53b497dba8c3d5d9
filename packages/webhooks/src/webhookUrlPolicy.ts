import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { ExactlyError } from '@exactly/errors';
import ipaddr from 'ipaddr.js';

/** Whether private, loopback and link-local addresses may be called (an operator setting; tests use it). */
export interface WebhookUrlPolicy {
  allowPrivateAddresses: boolean;
}

/**
 * Whether an address is one a tenant must never make the server call: anything but a public
 * unicast address (private, loopback, link-local, unique-local, CGNAT, multicast, reserved...).
 * An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function isRefusedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() !== 'unicast';
}

function refused(url: string, reason: string): ExactlyError {
  return new ExactlyError('invalid_request', `the webhook URL ${reason}`, {
    details: { errors: [{ path: 'url', message: reason }], url },
  });
}

/** The URL parsed, or a 400 naming what is wrong with it (scheme, credentials, form). */
export function parseWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused(url, 'is not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw refused(url, 'must use http or https');
  if (parsed.username !== '' || parsed.password !== '') throw refused(url, 'must not carry credentials');
  return parsed;
}

/** The host of a URL without the brackets of an IPv6 literal. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Checks a webhook URL against the policy: its host (or every address its name resolves to) must
 * be public unless the policy allows private ones. Run at create and update; delivery checks
 * again at connect time (`guardedLookup`), as DNS can change.
 */
export async function checkWebhookUrl(url: string, policy: WebhookUrlPolicy): Promise<URL> {
  const parsed = parseWebhookUrl(url);
  if (policy.allowPrivateAddresses) return parsed;
  const host = hostOf(parsed);
  const addresses = isIP(host) !== 0 ? [host] : await resolveAll(host).catch(() => [] as string[]);
  if (addresses.length === 0) throw refused(url, `host ${host} does not resolve`);
  const bad = addresses.find(isRefusedAddress);
  if (bad !== undefined) throw refused(url, `resolves to ${bad}, a private, loopback or link-local address`);
  return parsed;
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, found: LookupAddress[]) =>
      error ? reject(error) : resolve(found.map((entry) => entry.address)),
    );
  });
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that refuses, at connect time, a name that now resolves to a
 * refused address (DNS rebinding): the address checked is the address connected to.
 */
export function guardedLookup(policy: WebhookUrlPolicy) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, found: LookupAddress[]) => {
      if (error) return callback(error, []);
      const bad = policy.allowPrivateAddresses
        ? undefined
        : found.find((entry) => isRefusedAddress(entry.address));
      if (bad !== undefined) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to ${bad.address}, a refused address`), {
            code: 'EREFUSEDADDRESS',
          }),
          [],
        );
      }
      if ((options as { all?: boolean }).all) return callback(null, found);
      const first = found[0];
      if (first === undefined)
        return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}
