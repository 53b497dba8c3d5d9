import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Vite names files under `assets/` by their content's hash: they never change. */
  immutable: boolean;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built dashboard (a few small files), read into memory once at start-up and keyed by their
 * path under `/dashboard/`; undefined when it was not built. Only files that exist are ever
 * served, so no request path reaches the file system.
 */
export async function loadDashboardAssets(dir: string): Promise<Map<string, DashboardAsset> | undefined> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return undefined;
  }
  if (!entries.some((file) => relative(dir, file) === 'index.html')) return undefined;
  const assets = new Map<string, DashboardAsset>();
  for (const file of entries) {
    const path = relative(dir, file).split(sep).join('/');
    const body = await readFile(file);
    assets.set(path, {
      body,
      contentType: contentTypes[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      immutable: path.startsWith('assets/'),
    });
  }
  return assets;
}
