export { advanceProjections, type ProjectionAdvance, type ReadEvent } from './advanceProjections.js';
export { appendToStreams, type NewEvent, type StreamAppend } from './appendToStreams.js';
export { failUnpublishedMessages } from './failUnpublishedMessages.js';
export { foldStatus, isMessageEventType } from './foldStatus.js';
export {
  compareMessageProjections,
  type ProjectedMessage,
  type ProjectionComparison,
  type ProjectionMismatch,
  type ProjectionScope,
  projectMessage,
  rebuildMessageProjections,
} from './messageProjections.js';
export { evolveMessage, initialMessageState, type MessageState } from './messageState.js';
export { type NewMessage, newMessagesStatement } from './newMessagesStatement.js';
export {
  type ProjectionChange,
  projectionUpdateStatement,
  updateProjections,
} from './projectionUpdate.js';
export { readStream, type StoredEvent } from './readStream.js';
export { readTraceparents } from './readTraceparents.js';
export {
  type MessageEventsAppend,
  messageEventsStatements,
  recordMessageEvents,
} from './recordMessageEvents.js';
export {
  changeScheduledSend,
  type ScheduleChangeEvent,
  type ScheduledSendChange,
} from './schedule/changeScheduledSend.js';
export { claimDueSends, type DueSend } from './schedule/claimDueSends.js';
export {
  readScheduledSend,
  type ScheduledMessage,
  type ScheduledSendState,
} from './schedule/readScheduledSend.js';
export { releaseScheduledSends } from './schedule/releaseScheduledSends.js';
export { type NewScheduledSend, scheduleSendsStatement } from './schedule/scheduleSendsStatement.js';
export { projectStatus, statusAfter } from './statusAfter.js';
