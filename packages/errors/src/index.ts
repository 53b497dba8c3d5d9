export { type Backoff, backoffDelay } from './backoffDelay.js';
export { ExactlyError, type ExactlyErrorOptions, isExactlyError } from './ExactlyError.js';
export { type ErrorCode, errorCodes } from './errorCodes.js';
export { errorMessage } from './errorMessage.js';
export { isDeterministicFailure } from './isDeterministicFailure.js';
export { type ProblemDetails, problemType, problemTypeBase, toProblemDetails } from './problemDetails.js';
export { toExactlyError } from './toExactlyError.js';
