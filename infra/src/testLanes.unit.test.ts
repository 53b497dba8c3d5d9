import { testLanes } from './testLanes.js';

describe('the turbo runs of `stack test`', () => {
  it('gives the cross-service suites a lane of their own beside every other workspace', () => {
    expect(testLanes(['--env-mode=loose'])).toEqual([
      ['--filter=@exactly/test', '--env-mode=loose'],
      ['--filter=!@exactly/test', '--env-mode=loose'],
    ]);
  });

  it('runs a filtered run as one lane, in any spelling of the filter', () => {
    expect(testLanes(['--filter=@exactly/persistence'])).toEqual([['--filter=@exactly/persistence']]);
    expect(testLanes(['--filter', '@exactly/relay'])).toEqual([['--filter', '@exactly/relay']]);
    expect(testLanes(['-F', '@exactly/relay'])).toEqual([['-F', '@exactly/relay']]);
  });
});
