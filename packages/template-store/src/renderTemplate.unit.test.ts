import { isExactlyError } from '@exactly/errors';
import Mustache from 'mustache';
import { checkVariables } from './checkVariables.js';
import { renderTemplate } from './renderTemplate.js';
import { templateVariables } from './templateVariables.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('the variables of a template', () => {
  it('are parsed from every part: {{x}} and {{{x}}} are text, {{#x}} and {{^x}} booleans', () => {
    expect(
      templateVariables({
        subject: 'Order {{order}}',
        text: 'Hi {{name}}{{#vip}}, dear VIP{{/vip}}{{^vip}}.{{/vip}} {{! a comment }}',
        html: '<p>{{{signature}}}</p>',
      }),
    ).toEqual([
      { name: 'name', type: 'text' },
      { name: 'order', type: 'text' },
      { name: 'signature', type: 'text' },
      { name: 'vip', type: 'boolean' },
    ]);
  });

  it.each([
    ['an unclosed section', 'Hi {{#vip}}there'],
    ['a partial', 'Hi {{> footer}}'],
    ['a dotted name', 'Hi {{user.name}}'],
    ['the implicit iterator', '{{#vip}}{{.}}{{/vip}}'],
    ['a name used both ways', '{{vip}} {{#vip}}x{{/vip}}'],
  ])('refuse %s with a 422 that names the part', (_case, text) => {
    const error = thrown(() => templateVariables({ text }));
    expect(isExactlyError(error) && error.code).toBe('template_invalid');
    expect(isExactlyError(error) && error.status).toBe(422);
    expect(isExactlyError(error) && error.details).toEqual({
      errors: [{ path: 'text', message: expect.any(String) }],
    });
  });
});

describe('checking a send’s variables', () => {
  const declared = templateVariables({ text: 'Hi {{name}}, order {{order}}{{#vip}} (VIP){{/vip}}' });
  const where = { template: 'tpl_1', version: 2 };

  it('passes when each variable is given with its type', () => {
    expect(() => checkVariables(declared, { name: 'Ada', order: 1042, vip: true }, where)).not.toThrow();
  });

  it('names each missing, unknown and wrongly typed variable', () => {
    const error = thrown(() => checkVariables(declared, { name: true, vip: 'yes', nmae: 'Ada' }, where));
    expect(isExactlyError(error) && error.code).toBe('template_variables_invalid');
    expect(isExactlyError(error) && error.details).toEqual({
      errors: [
        {
          path: 'variables.name',
          message: 'must be a string or a number: the template inserts it ({{name}})',
        },
        { path: 'variables.order', message: 'missing: the template uses {{order}}' },
        { path: 'variables.vip', message: 'must be a boolean: the template uses it as a section ({{#vip}})' },
        { path: 'variables.nmae', message: 'unknown: the template does not use this variable' },
      ],
    });
    expect((error as Error).message).toContain('template tpl_1 version 2');
  });

  it('does not take inherited names as given', () => {
    const error = thrown(() => checkVariables(templateVariables({ text: '{{constructor}}' }), {}, where));
    expect(isExactlyError(error) && error.details).toEqual({
      errors: [{ path: 'variables.constructor', message: 'missing: the template uses {{constructor}}' }],
    });
  });
});

describe('rendering', () => {
  it('HTML-escapes values in the HTML part and leaves the subject and text as they are', () => {
    const rendered = renderTemplate(
      { subject: 'For {{name}}', text: 'Hi {{name}}', html: '<p>Hi {{name}}</p><p>{{{raw}}}</p>' },
      { name: 'Tom & <Jerry>', raw: '<b>bold</b>' },
    );
    expect(rendered).toEqual({
      subject: 'For Tom & <Jerry>',
      text: 'Hi Tom & <Jerry>',
      html: '<p>Hi Tom &amp; &lt;Jerry&gt;</p><p><b>bold</b></p>',
    });
  });

  it('renders numbers and boolean sections', () => {
    expect(
      renderTemplate(
        { text: 'Order {{order}}{{#vip}} (VIP){{/vip}}{{^vip}}.{{/vip}}' },
        { order: 1042, vip: false },
      ),
    ).toEqual({ text: 'Order 1042.' });
  });

  it('never reads the prototype, and keeps no cache of tenants’ templates', () => {
    expect(renderTemplate({ text: '[{{toString}}]' }, {})).toEqual({ text: '[]' });
    renderTemplate({ text: 'unique {{x}}' }, { x: 1 });
    expect(Mustache.templateCache).toBeUndefined();
  });
});

describe('a rendering that could outgrow its limit', () => {
  it('is refused before it is rendered, naming the part', () => {
    const error = thrown(() =>
      renderTemplate({ text: '{{x}}'.repeat(1_000) }, { x: 'y'.repeat(10_000) }, { text: 100_000 }),
    );
    expect(isExactlyError(error) && error.code).toBe('invalid_request');
    expect(isExactlyError(error) && error.details).toEqual({
      errors: [{ path: 'text', message: 'at most 100000 characters once rendered' }],
    });
  });

  it('counts escaped values at their longest in the HTML part', () => {
    expect(() => renderTemplate({ html: '<p>{{x}}</p>' }, { x: 'a'.repeat(10) }, { html: 67 })).not.toThrow();
    expect(() => renderTemplate({ html: '<p>{{x}}</p>' }, { x: 'a'.repeat(10) }, { html: 66 })).toThrow();
    expect(() =>
      renderTemplate({ html: '<p>{{{x}}}</p>' }, { x: 'a'.repeat(10) }, { html: 17 }),
    ).not.toThrow();
  });
});
