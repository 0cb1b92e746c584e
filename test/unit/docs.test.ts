import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The repository explains itself: nothing points at the project brief outside it (its docs are
 * docs/domain.md, docs/design.md and docs/api.md), and every relative link in the README and
 * docs/ reaches a file, and a heading where it names one.
 */
const root = resolve(import.meta.dirname, '../..');

/** Committed files, and new ones not ignored: what a clone has, or will have. */
const repositoryFiles = (): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)));

// Built from pieces, so this file does not match itself.
const briefFolder = new RegExp(`\\.\\./${'shared'}\\b`);
const briefDocument = new RegExp(`(?<!docs/)\\b(?:${['DOMAIN', 'DESIGN', 'API'].join('|')})\\.md\\b`);

describe('self-contained', () => {
  it('no file refers to the brief outside the repository', () => {
    const files = repositoryFiles();
    expect(files).toContain('docs/api.md');
    const offending = files.flatMap((file) => {
      const content = readFileSync(join(root, file));
      if (content.includes(0)) return [];
      return content
        .toString('utf8')
        .split('\n')
        .flatMap((line, i) =>
          briefFolder.test(line) || briefDocument.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
        );
    });
    expect(offending).toEqual([]);
  });

  it('the check sees such a reference when there is one', () => {
    expect(briefFolder.test(`the contract is ${'..'}/shared/${'API'}.md`)).toBe(true);
    expect(briefDocument.test(`as ${'DOMAIN'}.md says`)).toBe(true);
    expect(briefDocument.test('see docs/api.md and docs/domain.md')).toBe(false);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const withoutCode = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```/gm, '');
const anchorsOf = (markdown: string): string[] =>
  [...withoutCode(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? ''));
const linksOf = (markdown: string): string[] =>
  [...withoutCode(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('links in the README and docs/', () => {
  it('are the three documents, at least', () => {
    expect(documents).toEqual(expect.arrayContaining(['docs/domain.md', 'docs/design.md', 'docs/api.md']));
  });

  it.each(documents)('%s: every relative link reaches a file, and its heading', (document) => {
    const markdown = readFileSync(join(root, document), 'utf8');
    const broken = linksOf(markdown)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .flatMap((target) => {
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? join(root, document) : resolve(dirname(join(root, document)), path);
        if (!file.startsWith(root) || !existsSync(file)) return [`${target}: no such file`];
        if (anchor === undefined) return [];
        if (!statSync(file).isFile() || !file.endsWith('.md')) return [`${target}: not a document`];
        return anchorsOf(readFileSync(file, 'utf8')).includes(anchor)
          ? []
          : [`${target}: no heading #${anchor} in ${relative(root, file)}`];
      });
    expect(broken).toEqual([]);
  });
});
