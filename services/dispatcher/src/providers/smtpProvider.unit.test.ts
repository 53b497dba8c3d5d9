import { classifySmtpError, smtpMessageId } from './smtpProvider.js';

/** An error shaped as nodemailer reports it. */
const smtpError = (fields: Record<string, unknown>) => Object.assign(new Error('smtp'), fields);

describe("classifying an SMTP send's failure", () => {
  it('is definite on a 5xx reply', () => {
    expect(classifySmtpError(smtpError({ code: 'EENVELOPE', responseCode: 550 }), false)).toMatchObject({
      status: 'failed',
      retryable: false,
    });
    expect(classifySmtpError(smtpError({ code: 'EMESSAGE', responseCode: 554 }), false)).not.toHaveProperty(
      'ambiguous',
    );
  });

  it('is retryable (the server did not take the mail) on a 4xx reply, even after DATA', () => {
    const outcome = classifySmtpError(
      smtpError({ code: 'EMESSAGE', responseCode: 451, command: 'DATA' }),
      false,
    );
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(outcome).not.toHaveProperty('ambiguous');
  });

  it('is retryable before sending when the connection was never made', () => {
    for (const error of [
      smtpError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }),
      smtpError({ code: 'EDNS' }),
      smtpError({ code: 'EAUTH' }),
    ]) {
      const outcome = classifySmtpError(error, false);
      expect(outcome).toMatchObject({ status: 'failed', retryable: true });
      expect(outcome).not.toHaveProperty('ambiguous');
    }
  });

  it('is ambiguous when the connection dropped with no reply (it may have been after DATA) or the send timed out', () => {
    expect(classifySmtpError(smtpError({ code: 'ECONNECTION', command: 'CONN' }), false)).toMatchObject({
      ambiguous: true,
    });
    expect(classifySmtpError(smtpError({ code: 'ETIMEDOUT', command: 'CONN' }), false)).toMatchObject({
      ambiguous: true,
    });
    expect(classifySmtpError(new DOMException('timed out', 'TimeoutError'), true)).toMatchObject({
      ambiguous: true,
    });
  });
});

describe("a message's Message-ID", () => {
  it('is derived from the message id alone, so every attempt carries the same one', () => {
    expect(smtpMessageId('msg_1', 'exactly.local')).toBe('<msg_1@exactly.local>');
  });
});
