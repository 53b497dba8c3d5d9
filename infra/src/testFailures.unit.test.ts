import { describeFailures } from './testFailures.js';

const root = '/check/work/main';

describe('the failures the test summary repeats at its end', () => {
  it('names each failed test by workspace, file and full name, with the start of its message', () => {
    const lines = describeFailures(
      'services/dispatcher',
      {
        testResults: [
          {
            name: `${root}/services/dispatcher/src/keyedBatchPlans.int.test.ts`,
            status: 'failed',
            assertionResults: [
              { fullName: 'the outcome update finds each effect', status: 'passed' },
              {
                fullName: 'the projection update scans every message',
                status: 'failed',
                failureMessages: [
                  '\u001b[2mexpect(\u001b[22mreceived\n\n  Expected: 20520\n  Received: 500\n    at x',
                ],
              },
            ],
          },
        ],
      },
      3,
    );
    expect(lines).toEqual([
      '  FAILED services/dispatcher/src/keyedBatchPlans.int.test.ts › the projection update scans every message',
      '      expect(received',
      '        Expected: 20520',
      '        Received: 500',
    ]);
  });

  it('names a suite that failed without a failed test, with its message', () => {
    const lines = describeFailures('test', {
      testResults: [
        {
          name: `${root}/test/faults/faults.test.ts`,
          status: 'failed',
          message: 'Cannot find module',
          assertionResults: [],
        },
        { name: `${root}/test/e2e/e2e.test.ts`, status: 'passed', assertionResults: [] },
      ],
    });
    expect(lines).toEqual([
      '  FAILED test/faults/faults.test.ts (the suite itself)',
      '      Cannot find module',
    ]);
  });

  it('is empty when everything passed', () => {
    expect(
      describeFailures('infra', { testResults: [{ name: `${root}/infra/src/a.test.ts`, status: 'passed' }] }),
    ).toEqual([]);
  });
});
