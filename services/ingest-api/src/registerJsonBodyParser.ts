import { isUtf8 } from 'node:buffer';
import { ExactlyError } from '@exactly/errors';
import type { FastifyInstance } from 'fastify';

/**
 * Accepts only `application/json` bodies (anything else is 415), in UTF-8 (invalid UTF-8 is 400,
 * never silently replaced), parsed by Fastify's own JSON parser with `__proto__` and
 * `constructor.prototype` keys refused (400), so no body can reach the prototype of an object.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
      done(new ExactlyError('unsupported_media_type', `send JSON in UTF-8, not ${charset}`), undefined);
      return;
    }
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new ExactlyError('malformed_json', 'the body is not valid UTF-8'), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
}
