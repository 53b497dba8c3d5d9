let enabled = false;

/** Whether `startTracing` registered a tracer provider: when not, the services skip every tracing step. */
export function tracingEnabled(): boolean {
  return enabled;
}

export function setTracingEnabled(value: boolean): void {
  enabled = value;
}
