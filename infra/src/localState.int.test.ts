import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reachableRootOf } from './localPostgres.js';
import { deleteLocalState } from './localState.js';

const exists = async (path: string) => (await readdir(path).catch(() => undefined)) !== undefined;

describe('deleting the local state (stack down --delete-data)', () => {
  const originalStateDir = process.env.EXACTLY_STATE_DIR;
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'exactly-state-'));
    process.env.EXACTLY_STATE_DIR = state;
  });

  afterEach(async () => {
    process.env.EXACTLY_STATE_DIR = originalStateDir;
    await rm(state, { recursive: true, force: true });
    await rm(reachableRootOf(state), { recursive: true, force: true });
  });

  it('deletes the servers’ data, the token, the emptied state folder and its stand-in under /var/tmp', async () => {
    await mkdir(join(state, 'postgres', 'data'), { recursive: true });
    await mkdir(join(state, 'kafka', 'single'), { recursive: true });
    await writeFile(join(state, 'operator-token'), 'secret');
    const outside = reachableRootOf(state);
    await mkdir(join(outside, 'postgres', 'data'), { recursive: true });

    expect((await deleteLocalState()).sort()).toEqual(
      [join(state, 'postgres'), join(state, 'kafka'), join(state, 'operator-token'), state, outside].sort(),
    );
    expect(await exists(state)).toBe(false);
    expect(await exists(outside)).toBe(false);
  });

  it('keeps whatever else the state folder holds, and the folder with it', async () => {
    await mkdir(join(state, 'postgres'), { recursive: true });
    await writeFile(join(state, 'notes.txt'), 'mine');

    expect(await deleteLocalState()).toEqual([join(state, 'postgres')]);
    expect(await readdir(state)).toEqual(['notes.txt']);
  });

  it('deletes nothing where there is nothing', async () => {
    expect(await deleteLocalState()).toEqual([]);
    expect(await exists(state)).toBe(true);
  });
});
