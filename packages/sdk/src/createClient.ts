import {
  type IdempotencyKeyState,
  type MessageBatchResource,
  type MessagePage,
  MessagePatch,
  type MessageResource,
  type MessageStatus,
  SendMessage,
  TemplatedSend,
} from '@exactly/contracts';
import { type Clock, systemClock } from './clock.js';
import { ExactlyApiError } from './errors.js';
import { type PagedList, pagedList } from './pagedList.js';
import { defaultRetryPolicy, type RetryPolicy } from './retryPolicy.js';
import { type TemplatesApi, templatesApi } from './templatesClient.js';
import {
  type ApiRequest,
  type ApiResponse,
  callApi,
  type RetryEvent,
  type TransportOptions,
} from './transport.js';
import { type WebhookEndpointsClient, webhookEndpointsClient } from './webhookEndpointsClient.js';

export interface ExactlyClientOptions {
  /** The API's base URL, for example `http://127.0.0.1:3000`. */
  baseUrl: string;
  apiKey: string;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /**
   * The header the server reads the key from. Default `Idempotency-Key`, until a server refuses it
   * naming its own (400 `idempotency_key_invalid` with `header`): that one from then on.
   */
  idempotencyHeader?: string;
  /** Makes the key of a call that gives none (default: a random UUID). */
  generateIdempotencyKey?: () => string;
  /** Checks commands against the contract before sending (default true). */
  validate?: boolean;
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  random?: () => number;
  userAgent?: string;
  /** Called before each retry: for logs and counters. */
  onRetry?: (event: RetryEvent) => void;
}

export interface CallOptions {
  /** Your key for this logical call; by default the client makes one and reuses it for every retry. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface SendOptions extends CallOptions {
  /** Send later: a Date or an RFC 3339 string with an offset (at most 30 days ahead; a past time means now). */
  sendAt?: Date | string;
}

/** What `messages.change` may change in a scheduled message: its time, its content fields, or both. */
export type MessageChange = Omit<MessagePatch, 'send_at'> & { sendAt?: Date | string };

export interface SendResult {
  message: MessageResource;
  /** True when the server answered with the stored reply of an earlier request with this key. */
  replayed: boolean;
  idempotencyKey: string;
  status: number;
}

export interface BatchResult {
  messages: MessageResource[];
  replayed: boolean;
  idempotencyKey: string;
  status: number;
}

export interface ListOptions {
  status?: MessageStatus;
  /** Page size (the server's default when absent). */
  limit?: number;
  signal?: AbortSignal;
}

/** Every message matching the filter, newest first, fetched page by page as you iterate. */
export type MessageList = PagedList<MessageResource, MessagePage>;

/** A send that names a template (its latest version unless `version` is given) and variables instead of content. */
export type TemplatedSendInput = Omit<TemplatedSend, 'variables'> & {
  variables?: TemplatedSend['variables'];
};

/** One send: its content, or a template and variables (rendered once, when the server accepts it). */
export type SendInput = SendMessage | TemplatedSendInput;

export interface ExactlyClient {
  messages: {
    send(command: SendInput, options?: SendOptions): Promise<SendResult>;
    sendBatch(commands: SendInput[], options?: SendOptions): Promise<BatchResult>;
    /** Moves a scheduled message to another time (409 `send_started` once it is due). */
    reschedule(id: string, sendAt: Date | string, options?: CallOptions): Promise<SendResult>;
    /** Changes a scheduled message's time and/or content fields (PATCH). */
    change(id: string, change: MessageChange, options?: CallOptions): Promise<SendResult>;
    /** Replaces a scheduled message's whole command (PUT); its time stays unless `sendAt` is given. */
    replace(id: string, command: SendMessage, options?: SendOptions): Promise<SendResult>;
    /** Cancels a scheduled message: it is never sent (terminal). */
    cancel(id: string, options?: CallOptions): Promise<SendResult>;
    get(id: string, options?: { signal?: AbortSignal }): Promise<MessageResource>;
    list(options?: ListOptions): MessageList;
  };
  idempotencyKeys: {
    get(key: string, options?: { signal?: AbortSignal }): Promise<IdempotencyKeyState>;
    /**
     * The key's state once every message behind it is terminal (`done: true`, with each message's
     * `status`), or when `waitMs` ends (`done: false`), without polling: the server holds each
     * request up to `requestWaitMs`. An unknown key answers at once.
     */
    awaitResult(key: string, options?: AwaitOptions): Promise<IdempotencyKeyState>;
  };
  templates: TemplatesApi;
  webhookEndpoints: WebhookEndpointsClient;
}

export interface AwaitOptions {
  /** How long to wait in all (default 30 s). */
  waitMs?: number;
  /** How long one request is held at most (default 30 s; the server refuses more than its KEY_WAIT_MAX, 50 s by default). */
  requestWaitMs?: number;
  signal?: AbortSignal;
}

/** A create's reply in the `{ data: ... }` envelope some profiles use, unwrapped. */
function unwrap<Body>(body: unknown): Body {
  const record = body as Record<string, unknown> | null;
  const wrapped =
    typeof record === 'object' && record !== null && Object.keys(record).length === 1 && 'data' in record;
  return (wrapped ? record.data : body) as Body;
}

const replayed = (response: ApiResponse<unknown>) => response.headers.get('idempotent-replayed') === 'true';

/** A client for the Exactly API. Safe to share; it keeps no per-call state. */
export function createClient(options: ExactlyClientOptions): ExactlyClient {
  const transport: TransportOptions = {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: {
      ...defaultRetryPolicy,
      ...options.retry,
      maxRetries: options.maxRetries ?? defaultRetryPolicy.maxRetries,
    },
    idempotencyHeader: options.idempotencyHeader ?? 'Idempotency-Key',
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    userAgent: options.userAgent,
    onRetry: options.onRetry,
  };
  const newKey = options.generateIdempotencyKey ?? (() => globalThis.crypto.randomUUID());
  // The key header: the one given, else the one the server names when it refuses another.
  let keyHeader = options.idempotencyHeader ?? 'Idempotency-Key';
  /** Sends a create under the server's contract: its key header, its `{ data }` envelope unwrapped. */
  const create = async <Body>(request: ApiRequest) => {
    const send = () => callApi<unknown>({ ...transport, idempotencyHeader: keyHeader }, request);
    let response: ApiResponse<unknown>;
    try {
      response = await send();
    } catch (error) {
      // The server refuses a key in a header its profile does not read, naming the right one
      // (nothing ran): learn it once, and send again with the same key.
      const named =
        error instanceof ExactlyApiError && error.code === 'idempotency_key_invalid'
          ? error.problem.header
          : undefined;
      if (
        options.idempotencyHeader !== undefined ||
        typeof named !== 'string' ||
        named.toLowerCase() === keyHeader.toLowerCase()
      ) {
        throw error;
      }
      keyHeader = named;
      response = await send();
    }
    return { ...response, body: unwrap<Body>(response.body) };
  };

  const validate = options.validate ?? true;

  const check = <T>(
    schema: { safeParse(value: unknown): { success: boolean; error?: unknown } },
    value: T,
  ): T => {
    if (!validate) return value;
    const result = schema.safeParse(value);
    if (result.success) return value;
    const issues = (result.error as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    const errors = issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new ExactlyApiError(
      400,
      {
        code: 'invalid_request',
        detail: 'the command does not match the contract (checked before sending)',
        errors,
      },
      undefined,
      false,
    );
  };

  const checkSend = (command: SendInput, path = ''): SendInput => {
    const schema = 'template' in command ? TemplatedSend : SendMessage;
    try {
      return check(schema, command);
    } catch (error) {
      if (error instanceof ExactlyApiError && path !== '')
        for (const field of error.fieldErrors) field.path = `${path}${field.path}`;
      throw error;
    }
  };

  const list = (listOptions: ListOptions = {}): MessageList =>
    pagedList<MessageResource, MessagePage>(
      (request) => callApi<MessagePage>(transport, request),
      '/v1/messages',
      { status: listOptions.status, limit: listOptions.limit },
      listOptions.signal,
    );

  const sendAtText = (sendAt: Date | string | undefined) =>
    sendAt === undefined ? {} : { send_at: sendAt instanceof Date ? sendAt.toISOString() : sendAt };

  /** A change to one message (PATCH, PUT or cancel), with a key the profile may honour. */
  const changeMessage = async (
    method: 'PATCH' | 'PUT' | 'POST',
    path: string,
    body: unknown,
    callOptions: CallOptions,
  ): Promise<SendResult> => {
    const idempotencyKey = callOptions.idempotencyKey ?? newKey();
    const response = await create<MessageResource>({
      method,
      path,
      ...(body === undefined ? {} : { body }),
      idempotencyKey,
      signal: callOptions.signal,
    });
    return { message: response.body, replayed: replayed(response), idempotencyKey, status: response.status };
  };
  const messagePath = (id: string) => `/v1/messages/${encodeURIComponent(id)}`;

  return {
    messages: {
      reschedule(id, sendAt, callOptions = {}) {
        return changeMessage('PATCH', messagePath(id), sendAtText(sendAt), callOptions);
      },
      change(id, { sendAt, ...fields }, callOptions = {}) {
        const body = { ...fields, ...sendAtText(sendAt) };
        return changeMessage('PATCH', messagePath(id), check(MessagePatch, body), callOptions);
      },
      replace(id, command, callOptions = {}) {
        const body = { ...check(SendMessage, command), ...sendAtText(callOptions.sendAt) };
        return changeMessage('PUT', messagePath(id), body, callOptions);
      },
      cancel(id, callOptions = {}) {
        return changeMessage('POST', `${messagePath(id)}/cancel`, undefined, callOptions);
      },
      async send(command, callOptions = {}) {
        const idempotencyKey = callOptions.idempotencyKey ?? newKey();
        const response = await create<MessageResource>({
          method: 'POST',
          path: '/v1/messages',
          body: { ...checkSend(command), ...sendAtText(callOptions.sendAt) },
          idempotencyKey,
          signal: callOptions.signal,
        });
        return {
          message: response.body,
          replayed: replayed(response),
          idempotencyKey,
          status: response.status,
        };
      },
      async sendBatch(commands, callOptions = {}) {
        const idempotencyKey = callOptions.idempotencyKey ?? newKey();
        const response = await create<MessageBatchResource>({
          method: 'POST',
          path: '/v1/messages/batch',
          body: {
            messages: commands.map((command, index) => checkSend(command, `messages.${index}.`)),
            ...sendAtText(callOptions.sendAt),
          },
          idempotencyKey,
          signal: callOptions.signal,
        });
        return {
          messages: response.body.messages,
          replayed: replayed(response),
          idempotencyKey,
          status: response.status,
        };
      },
      async get(id, getOptions = {}) {
        const path = `/v1/messages/${encodeURIComponent(id)}`;
        return (await callApi<MessageResource>(transport, { method: 'GET', path, signal: getOptions.signal }))
          .body;
      },
      list,
    },
    idempotencyKeys: {
      async get(key, getOptions = {}) {
        const path = `/v1/idempotency-keys/${encodeURIComponent(key)}`;
        return (
          await callApi<IdempotencyKeyState>(transport, { method: 'GET', path, signal: getOptions.signal })
        ).body;
      },
      async awaitResult(key, awaitOptions = {}) {
        const clock = transport.clock;
        const deadline = clock.now() + (awaitOptions.waitMs ?? 30_000);
        const perRequest = awaitOptions.requestWaitMs ?? 30_000;
        for (;;) {
          const waitMs = Math.max(0, Math.min(perRequest, deadline - clock.now()));
          const path = `/v1/idempotency-keys/${encodeURIComponent(key)}?wait=${Math.ceil(waitMs)}ms`;
          const state = (
            await callApi<IdempotencyKeyState>(
              // The server holds the request for up to waitMs: the attempt's timeout comes on top.
              { ...transport, timeoutMs: transport.timeoutMs + waitMs },
              { method: 'GET', path, signal: awaitOptions.signal },
            )
          ).body;
          // `done` absent: a server that does not hold requests; asking again would only spin.
          if (state.done !== false || state.state === 'unknown' || clock.now() >= deadline) return state;
        }
      },
    },
    templates: templatesApi({ create, get: (request) => callApi(transport, request), check, newKey }),
    webhookEndpoints: webhookEndpointsClient((request) => callApi(transport, request), create, newKey),
  };
}
