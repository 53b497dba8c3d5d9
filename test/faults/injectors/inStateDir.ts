/**
 * The infra functions find their servers through EXACTLY_STATE_DIR; this runs one of them
 * against a scratch server's folder and puts the variable back.
 */
export async function inStateDir<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const previous = process.env.EXACTLY_STATE_DIR;
  process.env.EXACTLY_STATE_DIR = dir;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.EXACTLY_STATE_DIR;
    else process.env.EXACTLY_STATE_DIR = previous;
  }
}
