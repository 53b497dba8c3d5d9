import type { ComponentChildren } from 'preact';

export function Tile({
  label,
  value,
  detail,
  tone,
  testId,
}: {
  label: string;
  value: ComponentChildren;
  detail?: ComponentChildren;
  tone?: 'warn' | 'bad' | undefined;
  testId?: string;
}) {
  return (
    <div class={`tile${tone ? ` ${tone}` : ''}`} data-testid={testId}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {detail !== undefined && <div class="tile-detail">{detail}</div>}
    </div>
  );
}
