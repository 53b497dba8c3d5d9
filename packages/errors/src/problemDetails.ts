import type { ExactlyError } from './ExactlyError.js';
import { type ErrorCode, errorCodes } from './errorCodes.js';

/** RFC 9457 problem details, with the stable `code` and any details as extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extension: string]: unknown;
}

export const problemTypeBase = 'https://exactly.dev/problems/';

export function problemType(code: ErrorCode): string {
  return problemTypeBase + code.replaceAll('_', '-');
}

/** What a client sees of an error: never a stack trace, never the cause of an internal error. */
export function toProblemDetails(error: ExactlyError, instance?: string): ProblemDetails {
  const problem: ProblemDetails = {
    ...error.details,
    type: problemType(error.code),
    title: errorCodes[error.code].title,
    status: error.status,
    detail: error.code === 'internal' ? 'An unexpected error occurred; it was logged.' : error.message,
    code: error.code,
  };
  if (instance !== undefined) problem.instance = instance;
  return problem;
}
