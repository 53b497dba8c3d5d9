import nodemailer from 'nodemailer';
import { ambiguous, failure, type Provider, type SendOutcome, type SendRequest } from './provider.js';

export interface SmtpProviderOptions {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  /** The domain of the Message-ID derived from the message id. */
  messageIdDomain: string;
}

/** Message-ID of a message's mail: the same on every attempt, so receivers can drop a repeat. */
export function smtpMessageId(messageId: string, domain: string): string {
  return `<${messageId}@${domain}>`;
}

/** Errors of a connection that was never made: nothing can have been sent. */
const notConnected = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const beforeSendingCodes = new Set(['EDNS', 'ETLS', 'EAUTH', 'ENOAUTH', 'EENVELOPE', 'ECONFIG']);

/**
 * The outcome of a failed SMTP send (exported for its unit test). A reply is definite: 5xx refused
 * for good, 4xx refused for now (retryable; the server did not take the mail). With no reply, a
 * connection never made, or a step before the mail (DNS, TLS, AUTH, the envelope), is retryable
 * before sending; a timeout or a connection lost otherwise is ambiguous: nodemailer reports every
 * dropped connection as the same step, so the mail may have been taken after DATA.
 */
export function classifySmtpError(error: unknown, timedOut: boolean): SendOutcome {
  const { responseCode, code, originalCode } = (error ?? {}) as {
    responseCode?: number;
    code?: string;
    originalCode?: string;
  };
  if (typeof responseCode === 'number') return failure(error, responseCode < 500);
  if (timedOut) return ambiguous(error);
  if (notConnected.has(originalCode ?? code ?? '') || beforeSendingCodes.has(code ?? '')) {
    return failure(error, true);
  }
  return ambiguous(error);
}

/**
 * Sends email through an SMTP server with nodemailer, with a stable Message-ID derived from the
 * message id. SMTP has no idempotency key: a crash or a timeout after the server may have taken
 * the mail is an ambiguous attempt (`classifySmtpError`), and by default the message is held
 * rather than sent again. 4xx replies are retryable; 5xx replies are permanent.
 */
export function createSmtpProvider(options: SmtpProviderOptions): Provider {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    pool: true,
    maxConnections: 5,
    ...(options.user === undefined ? {} : { auth: { user: options.user, pass: options.password ?? '' } }),
  });
  return {
    name: 'smtp',
    // SMTP has no idempotency key: the Message-ID only lets receivers that look at it drop a repeat.
    honoursKey: false,
    async send(request: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      const { message } = request;
      if (message.channel !== 'email') {
        return { status: 'failed', retryable: false, error: `smtp cannot send ${message.channel}` };
      }
      const sending = transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        ...(message.text === undefined ? {} : { text: message.text }),
        ...(message.html === undefined ? {} : { html: message.html }),
        messageId: smtpMessageId(request.messageId, options.messageIdDomain),
        headers: { 'X-Exactly-Idempotency-Key': request.providerKey },
      });
      // nodemailer cannot cancel a send: on timeout the outcome is unknown and the retry may repeat it.
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      try {
        const info = await Promise.race([sending, aborted]);
        return { status: 'accepted', replayed: false, providerMessageId: String(info.messageId) };
      } catch (error) {
        sending.catch(() => {});
        return classifySmtpError(error, signal.aborted);
      }
    },
    async close() {
      transport.close();
    },
  };
}
