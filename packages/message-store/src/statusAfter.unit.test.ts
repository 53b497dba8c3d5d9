// Moved from the contracts' tests with the rule itself: the message store owns the status rules.
import { projectStatus } from './statusAfter.js';

describe('projectStatus', () => {
  it('folds a stream into the status a client sees', () => {
    expect(projectStatus(['MessageAccepted'])).toBe('accepted');
    expect(
      projectStatus(['MessageAccepted', 'DispatchRequested', 'ProviderCallFailed', 'RetryScheduled']),
    ).toBe('dispatching');
    expect(projectStatus(['MessageAccepted', 'DispatchRequested', 'ProviderAccepted'])).toBe('sent');
    expect(projectStatus(['MessageAccepted', 'DispatchRequested', 'MessageFailed'])).toBe('failed');
  });

  it('never reopens a sent message', () => {
    expect(projectStatus(['MessageAccepted', 'ProviderAccepted', 'RetryScheduled'])).toBe('sent');
  });

  it('holds a message whose outcome is unknown until a late answer or the operator settles it', () => {
    const held = ['MessageAccepted', 'DispatchRequested', 'MessageHeld'] as const;
    expect(projectStatus([...held])).toBe('held');
    expect(projectStatus([...held, 'RetryScheduled'])).toBe('held');
    expect(projectStatus([...held, 'ProviderAccepted'])).toBe('sent');
    expect(projectStatus([...held, 'OperatorMarkedSent'])).toBe('sent');
    expect(projectStatus([...held, 'OperatorMarkedFailed'])).toBe('failed');
    expect(projectStatus([...held, 'OperatorRequestedResend'])).toBe('dispatching');
    expect(projectStatus([...held, 'OperatorRequestedResend', 'ProviderAccepted'])).toBe('sent');
    // A decision about a message that is not held changes nothing.
    expect(projectStatus(['MessageAccepted', 'ProviderAccepted', 'OperatorMarkedFailed'])).toBe('sent');
  });

  it('keeps a scheduled message scheduled through its changes until it is released or cancelled', () => {
    const scheduled = ['MessageAccepted', 'MessageScheduled'] as const;
    expect(projectStatus([...scheduled])).toBe('scheduled');
    expect(projectStatus([...scheduled, 'MessageRescheduled', 'MessageChanged'])).toBe('scheduled');
    expect(projectStatus([...scheduled, 'ScheduledSendReleased'])).toBe('accepted');
    expect(
      projectStatus([...scheduled, 'ScheduledSendReleased', 'DispatchRequested', 'ProviderAccepted']),
    ).toBe('sent');
  });

  it('never reopens a cancelled message', () => {
    const cancelled = ['MessageAccepted', 'MessageScheduled', 'MessageCancelled'] as const;
    expect(projectStatus([...cancelled])).toBe('cancelled');
    expect(projectStatus([...cancelled, 'ScheduledSendReleased'])).toBe('cancelled');
    expect(projectStatus([...cancelled, 'DispatchRequested', 'ProviderAccepted'])).toBe('cancelled');
    // A cancel arriving after the release changes nothing.
    expect(
      projectStatus(['MessageAccepted', 'MessageScheduled', 'ScheduledSendReleased', 'MessageCancelled']),
    ).toBe('accepted');
  });
});
