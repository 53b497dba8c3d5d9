export { type CollectedSpans, collectSpans } from './collectSpans.js';
