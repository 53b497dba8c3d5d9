// The project explains itself: every relative link in its Markdown files points to a file inside
// the repository that exists (no `../shared/…`, which a user of the repository does not have).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function markdownFiles(): string[] {
  return execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file.length > 0 && !file.includes('/results/'));
}

/** Targets of `[text](target)` links that are neither absolute URLs nor in-page anchors. */
function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return [...withoutCode.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0] ?? '');
}

describe('the documentation', () => {
  it('has Markdown files to check', () => {
    expect(markdownFiles()).toEqual(expect.arrayContaining(['README.md', 'docs/design.md']));
  });

  it.each(markdownFiles())('%s links only files inside the repository that exist', (file) => {
    const broken = relativeLinks(readFileSync(join(root, file), 'utf8')).filter((target) => {
      const path = resolve(root, dirname(file), target);
      return relative(root, path).startsWith('..') || !existsSync(path);
    });
    expect(broken).toEqual([]);
  });
});
