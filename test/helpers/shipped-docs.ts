/**
 * The markdown a user of the npm package reads: the README and docs/guide/, as shipped. Used by the link check
 * and by the installed-package test, which type-checks every TypeScript block in them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Shipped markdown files, relative to the package root `dir`. */
export function shippedMarkdown(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    if (!existsSync(folder)) return;
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) found.push(relative(dir, path));
    }
  };
  walk(join(dir, 'docs', 'guide'));
  return ['README.md', ...found.sort()];
}

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** Fenced blocks whose info string is exactly `lang` (so "ts fragment" blocks are left out). */
export function codeBlocks(markdown: string, lang: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const end = lines.findIndex((l, j) => j > i && l.trim() === fence);
    if (end < 0) break;
    if ((open[3] ?? '').trim() === lang) blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

export interface DocReference {
  readonly doc: string;
  readonly line: number;
  readonly target: string;
}

/**
 * Relative links (`[x](path)`, outside code) and mentions of repository-only paths (`src/…`, `test/…`) in a
 * shipped document: each must name a file the package ships.
 */
export function references(doc: string, markdown: string): DocReference[] {
  const found: DocReference[] = [];
  let inCode = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*```/.test(text)) inCode = !inCode;
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      found.push({ doc, line: index + 1, target: target.replace(/#.*$/, '') });
    }
    // Code blocks show users' own projects (their src/module.ts), so only prose counts as naming our files.
    if (inCode) return;
    for (const [, target] of text.matchAll(/(?:^|[\s`(])((?:src|test|e2e|bench|scripts)\/[\w./-]+)/g))
      if (target) found.push({ doc, line: index + 1, target: `/${target}` });
  });
  return found;
}
