import { projectMessage } from './messageProjections.js';

const accepted = {
  version: 1,
  type: 'MessageAccepted',
  data: {
    messageId: 'msg_1',
    accountId: 'acc_1',
    channel: 'sms',
    to: '+15551234567',
    from: 'ACME',
    idempotencyKey: 'k1',
  },
};

describe('folding a message stream into its projection', () => {
  it('takes the identity from MessageAccepted and the status from every event, as the live writers do', () => {
    expect(
      projectMessage('msg_1', [
        accepted,
        { version: 2, type: 'DispatchRequested', data: {} },
        { version: 3, type: 'ProviderCallFailed', data: {} },
        { version: 4, type: 'RetryScheduled', data: {} },
        { version: 5, type: 'ProviderAccepted', data: {} },
      ]),
    ).toEqual({
      id: 'msg_1',
      accountId: 'acc_1',
      channel: 'sms',
      recipient: '+15551234567',
      sender: 'ACME',
      messageKey: 'k1',
      batchId: null,
      status: 'sent',
      version: 5,
    });
  });

  it('folds a held message and the operator decisions on it, as the live writers do', () => {
    const held = [
      accepted,
      { version: 2, type: 'DispatchRequested', data: {} },
      { version: 3, type: 'MessageHeld', data: {} },
    ];
    expect(projectMessage('msg_1', held)).toMatchObject({ status: 'held', version: 3 });
    const decided = (type: string) => projectMessage('msg_1', [...held, { version: 4, type, data: {} }]);
    expect(decided('ProviderAccepted')).toMatchObject({ status: 'sent', version: 4 });
    expect(decided('OperatorMarkedSent')).toMatchObject({ status: 'sent', version: 4 });
    expect(decided('OperatorMarkedFailed')).toMatchObject({ status: 'failed', version: 4 });
    expect(decided('OperatorRequestedResend')).toMatchObject({ status: 'dispatching', version: 4 });
  });

  it('has no projection for a stream with a gap or without its first event', () => {
    expect(
      projectMessage('msg_1', [accepted, { version: 3, type: 'ProviderAccepted', data: {} }]),
    ).toBeUndefined();
    expect(projectMessage('msg_1', [{ version: 1, type: 'DispatchRequested', data: {} }])).toBeUndefined();
    expect(projectMessage('msg_1', [])).toBeUndefined();
  });

  it('counts an unknown event in the version without changing the status', () => {
    expect(projectMessage('msg_1', [accepted, { version: 2, type: 'SomethingNew', data: {} }])).toMatchObject(
      {
        status: 'accepted',
        version: 2,
      },
    );
  });
});
