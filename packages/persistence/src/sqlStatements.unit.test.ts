import { combineStatements, writesAsCtes } from './sqlStatements.js';

describe('combineStatements', () => {
  it('makes each statement a CTE and renumbers its placeholders after the ones before it', () => {
    const [text, parameters] = combineStatements([
      { text: 'INSERT INTO a (x, y) VALUES ($1, $2)', parameters: [1, 2] },
      { text: 'UPDATE b SET x = $2 WHERE id = $1 AND z = $1', parameters: ['id', 'x'] },
      { text: 'DELETE FROM c WHERE id = $1', parameters: [10] },
    ]);
    expect(text).toBe(
      [
        'WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)),',
        'w1 AS (UPDATE b SET x = $4 WHERE id = $3 AND z = $3),',
        'w2 AS (DELETE FROM c WHERE id = $5)',
        'SELECT 1',
      ].join('\n'),
    );
    expect(parameters).toEqual([1, 2, 'id', 'x', 10]);
  });

  it('renumbers two-digit placeholders as numbers, not as text', () => {
    const first = { text: 'DELETE FROM t WHERE a = $1', parameters: Array.from({ length: 10 }, (_, i) => i) };
    const [text] = combineStatements([first, { text: 'UPDATE t SET a = $10, b = $1', parameters: [] }]);
    expect(text).toContain('UPDATE t SET a = $20, b = $11');
  });

  it('numbers the CTEs of a statement of the caller after the parameters it already has', () => {
    const parameters: unknown[] = ['key-a', 'key-b'];
    const parts = writesAsCtes(
      [{ text: 'INSERT INTO t (a, b) VALUES ($1, $2)', parameters: ['x', 'y'] }],
      parameters,
    );
    expect(parts).toEqual(['w0 AS (INSERT INTO t (a, b) VALUES ($3, $4))']);
    expect(parameters).toEqual(['key-a', 'key-b', 'x', 'y']);
  });
});
