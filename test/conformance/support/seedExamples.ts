/** The example body of the seed documents, as an email command. */
export const emailCommand = (overrides: Record<string, unknown> = {}) => ({
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Order confirmed',
  text: '...',
  ...overrides,
});

export const day = 86_400_000;

/** How long a key state says the key is remembered, in ms. */
export function retentionOf(state: { createdAt: string; expiresAt: string }): number {
  return Date.parse(state.expiresAt) - Date.parse(state.createdAt);
}
