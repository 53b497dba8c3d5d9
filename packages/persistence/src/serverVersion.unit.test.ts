import { serverVersionProblem } from './serverVersion.js';

describe('the PostgreSQL version check', () => {
  it('accepts 17 and later', () => {
    expect(serverVersionProblem(170_000)).toBeUndefined();
    expect(serverVersionProblem(180_004)).toBeUndefined();
  });

  it('refuses 16 with an error naming the found and the needed version and what to do', () => {
    const problem = serverVersionProblem(160_004);
    expect(problem?.code).toBe('database_unsupported');
    expect(problem?.message).toContain('PostgreSQL 16.4 is too old');
    expect(problem?.message).toContain('PostgreSQL 17 or later');
    expect(problem?.message).toContain('DATABASE_URL');
  });
});
