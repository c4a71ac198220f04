import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

// Compiled to dist/test/unit/docs/, so the repository root is four levels up.
const ROOT = path.resolve(__dirname, '../../../..');

/** README.md and every docs/*.md, as paths relative to the repository root. */
function documents(): string[] {
  const docs = existsSync(path.join(ROOT, 'docs'))
    ? readdirSync(path.join(ROOT, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', ...docs.sort()];
}

interface Line {
  readonly number: number;
  readonly text: string;
}

/** The lines outside fenced code blocks, with inline code spans blanked (links inside code are not links). */
function proseLines(markdown: string): Line[] {
  const lines: Line[] = [];
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) lines.push({ number: index + 1, text: text.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length)) });
  });
  return lines;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens (github-slugger's rule). */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a markdown file offers: one per heading (repeats get -1, -2, …) and any explicit id or name. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const text of markdown.split(/\r?\n/)) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading) {
      const base = slug(heading[1]!);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

interface Link {
  readonly document: string;
  readonly line: number;
  readonly target: string;
}

/** Relative markdown links `[text](target)`: external URLs and mail addresses are left out. */
function relativeLinks(document: string): Link[] {
  const links: Link[] = [];
  for (const { number, text } of proseLines(readFileSync(path.join(ROOT, document), 'utf8'))) {
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ document, line: number, target });
    }
  }
  return links;
}

/** Why a link does not resolve, or null when its file (and anchor, in a markdown file) exists. */
function brokenBecause(link: Link): string | null {
  const [file, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const resolved = file === '' ? path.join(ROOT, link.document) : path.resolve(path.dirname(path.join(ROOT, link.document)), decodeURIComponent(file));
  if (!resolved.startsWith(ROOT + path.sep)) return 'points outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined || anchor === '') return null;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return 'an anchor into a file that is not markdown';
  return anchorsOf(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor)) ? null : `no heading with anchor #${anchor}`;
}

/**
 * Repository paths written in code spans (`src/config/config.ts`, `bench/RESULTS.md`): the ones that
 * start with a top-level folder of the repository and hold no placeholder (`<noun>`, `*`, `…`, `YYYY`).
 */
function namedPaths(document: string): Link[] {
  const paths: Link[] = [];
  const markdown = readFileSync(path.join(ROOT, document), 'utf8');
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence !== null) return;
    for (const match of text.matchAll(/`((?:src|test|bench|scripts|kibana|docs|\.ci)\/[^`\s]*)`/g)) {
      const named = match[1]!;
      if (/[<>*…{}]|YYYY/.test(named)) continue;
      paths.push({ document, line: index + 1, target: named });
    }
  });
  return paths;
}

describe('documentation links', () => {
  it('GitHub anchors are derived from headings as GitHub derives them', () => {
    assert.deepEqual(
      ['Errors, and what a client sees of them', 'Performance: `npm run bench`', 'What the trace was tested against', '1. Start', 'Connecting to Tibero'].map(
        slug,
      ),
      ['errors-and-what-a-client-sees-of-them', 'performance-npm-run-bench', 'what-the-trace-was-tested-against', '1-start', 'connecting-to-tibero'],
    );
    assert.deepEqual([...anchorsOf('# A\n## Notes\n```\n## not a heading\n```\n### Notes\n<a id="kept"></a>')], ['a', 'notes', 'notes-1', 'kept']);
  });

  it('every relative link in README.md and docs/*.md points at a file, and an anchor at a heading, that exist', () => {
    const links = documents().flatMap(relativeLinks);
    assert.ok(
      links.some((link) => link.document === 'README.md' && link.target.startsWith('docs/')),
      'README.md links into docs/',
    );
    const broken = links.flatMap((link) => {
      const reason = brokenBecause(link);
      return reason === null ? [] : [`${link.document}:${link.line} → ${link.target}: ${reason}`];
    });
    assert.deepEqual(broken, []);
  });

  it('every repository path README.md and docs/*.md name in code exists', () => {
    const missing = documents()
      .flatMap(namedPaths)
      .filter((named) => !existsSync(path.join(ROOT, named.target.replace(/[.,:;]+$/, ''))))
      .map((named) => `${named.document}:${named.line} names ${named.target}, which does not exist`);
    assert.deepEqual(missing, []);
  });
});
