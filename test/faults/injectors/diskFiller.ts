import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/** Fills a (small, scratch) file system to the last byte with one file of zeros, and frees it again. */
export class DiskFiller {
  private filler: string | undefined;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Writes zeros until the file system has no byte left; returns how many were written. */
  async fill(): Promise<number> {
    this.filler = join(this.dir, 'filler');
    const file = await open(this.filler, 'w');
    const chunk = Buffer.alloc(1 << 20);
    let written = 0;
    try {
      for (;;) {
        const { bavail, bsize } = await statfs(this.dir);
        if (bavail === 0) break;
        const size = Math.min(chunk.length, bavail * bsize);
        try {
          written += (await file.write(chunk, 0, size)).bytesWritten;
        } catch {
          break;
        }
      }
    } finally {
      await file.close();
    }
    return written;
  }

  /** Deletes the filler: the file system has room again. */
  async free(): Promise<void> {
    if (this.filler) await rm(this.filler, { force: true });
    this.filler = undefined;
  }
}
