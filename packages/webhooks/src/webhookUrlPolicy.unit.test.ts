import { checkWebhookUrl, guardedLookup, isRefusedAddress } from './webhookUrlPolicy.js';

describe('the webhook URL policy', () => {
  it.each([
    '10.1.2.3',
    '127.0.0.1',
    '169.254.169.254',
    '192.168.0.10',
    '172.16.5.4',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
  ])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('takes %s', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
  });

  it.each([
    'http://10.0.0.5/hook',
    'http://127.0.0.1:8080/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/hook',
    'http://[fc00::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://localhost/hook',
  ])('refuses the URL %s with a 400 naming the url', async (url) => {
    await expect(checkWebhookUrl(url, { allowPrivateAddresses: false })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { errors: [{ path: 'url' }] },
    });
  });

  it('takes a private URL when the operator allows it', async () => {
    await expect(
      checkWebhookUrl('http://127.0.0.1:9/hook', { allowPrivateAddresses: true }),
    ).resolves.toBeInstanceOf(URL);
  });

  it.each(['ftp://example.com/x', 'not a url', 'https://user:pw@example.com/'])(
    'refuses the malformed %s',
    async (url) => {
      await expect(checkWebhookUrl(url, { allowPrivateAddresses: true })).rejects.toMatchObject({
        code: 'invalid_request',
      });
    },
  );
});

describe('the lookup used where a delivery connects', () => {
  const lookUp = (host: string, allowPrivateAddresses: boolean, all = false) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      guardedLookup({ allowPrivateAddresses })(host, { all }, (error, address) =>
        resolve({ error, address }),
      ),
    );

  it('refuses a name that resolves to a loopback address, as the connection is made', async () => {
    const { error } = await lookUp('localhost', false);
    expect(error?.code).toBe('EREFUSEDADDRESS');
  });

  it('answers the address (or all of them) when the operator allows private addresses', async () => {
    expect((await lookUp('localhost', true)).address).toEqual(expect.stringMatching(/^(127\.0\.0\.1|::1)$/));
    expect((await lookUp('localhost', true, true)).address).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });
});
