import nodemailer from 'nodemailer';
import { failure, type Provider, type SendOutcome, type SendRequest } from './provider.js';

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

/**
 * Sends email through an SMTP server with nodemailer. SMTP has no idempotency key: the
 * Message-ID (derived from the message id) lets receivers deduplicate, but a crash (or a
 * timeout) between the server taking the mail and the outcome being recorded makes recovery
 * send it again. Each resumed SMTP attempt is counted (`dispatcher_smtp_possible_repeat_sends_total`).
 * 4xx replies, connection errors and timeouts are retryable; 5xx replies are permanent.
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
        headers: { 'X-Exactly-Idempotency-Key': request.idempotencyKey },
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
        const code = (error as { responseCode?: number }).responseCode;
        return failure(error, code === undefined || code < 500);
      }
    },
    async close() {
      transport.close();
    },
  };
}
