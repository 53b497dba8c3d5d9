import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSendInput } from './readSendInput.js';

const sms = { channel: 'sms', to: '+15551234567', from: 'Acme', text: 'hello' };

describe('reading commands to send from a file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exactly-send-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads NDJSON, one command per line, with an optional idempotency key per entry', async () => {
    const file = join(dir, 'commands.ndjson');
    await writeFile(
      file,
      `${JSON.stringify(sms)}\n\n${JSON.stringify({ idempotencyKey: 'k-2', message: sms })}\n`,
    );
    const input = await readSendInput(file);
    expect(input.items).toEqual([{ message: sms }, { message: sms, idempotencyKey: 'k-2' }]);
    expect(input.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads JSON: one command or an array of them', async () => {
    const one = join(dir, 'one.json');
    const many = join(dir, 'many.json');
    await writeFile(one, JSON.stringify(sms));
    await writeFile(many, JSON.stringify([sms, sms]));
    expect((await readSendInput(one)).items).toHaveLength(1);
    expect((await readSendInput(many)).items).toHaveLength(2);
  });

  it('gives the same fingerprint to the same file, so sending it again replays it', async () => {
    const file = join(dir, 'same.json');
    await writeFile(file, JSON.stringify(sms));
    expect((await readSendInput(file)).fingerprint).toBe((await readSendInput(file)).fingerprint);
  });

  it('refuses the whole file, naming every bad line and field, before anything is sent', async () => {
    const file = join(dir, 'bad.ndjson');
    await writeFile(
      file,
      [JSON.stringify(sms), JSON.stringify({ ...sms, to: 'nobody' }), '{oops'].join('\n'),
    );
    await expect(readSendInput(file)).rejects.toThrow(/line 3 is not valid JSON/);
    await writeFile(
      file,
      [JSON.stringify(sms), JSON.stringify({ ...sms, to: 'nobody', text: '' })].join('\n'),
    );
    const failure = readSendInput(file);
    await expect(failure).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(failure).rejects.toThrow(
      /nothing was sent.*\n.*line 2: to: must be an E\.164.*\n.*line 2: text/s,
    );
  });

  it('says so when the file is missing or empty', async () => {
    await expect(readSendInput(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    const empty = join(dir, 'empty.ndjson');
    await writeFile(empty, '\n');
    await expect(readSendInput(empty)).rejects.toThrow(/holds no commands/);
  });

  it('reads stdin for -', async () => {
    const input = await readSendInput('-', { format: 'ndjson', readStdin: async () => JSON.stringify(sms) });
    expect(input.items).toEqual([{ message: sms }]);
  });
});
