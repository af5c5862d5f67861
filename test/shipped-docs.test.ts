/**
 * Every relative link and every repository path named in the markdown the npm package ships points at a file the
 * package ships, or at a file of the user's project that `init` generates (users have no clone of this repository).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { references, shippedMarkdown, codeBlocks } from './helpers/shipped-docs.js';

const ROOT = new URL('../', import.meta.url).pathname;

/** What `npm pack` would put in the tarball, as paths relative to the package root (no build needed). */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { files: { path: string }[] }[];
  return new Set(info!.files.map((f) => f.path));
}

describe('shipped docs', () => {
  const shipped = packedFiles();
  const docs = shippedMarkdown(ROOT);

  it('ships the README and the guide', () => {
    for (const doc of docs) assert.ok(shipped.has(doc), `${doc} is in the package`);
  });

  it('name only files the package ships', () => {
    const missing: string[] = [];
    for (const doc of docs) {
      for (const ref of references(doc, readFileSync(join(ROOT, doc), 'utf8'))) {
        const path = ref.target.startsWith('/') ? ref.target.slice(1) : normalize(join(dirname(doc), ref.target));
        const isDir = [...shipped].some((f) => f.startsWith(`${path.replace(/\/$/, '')}/`));
        // `src/module.ts` of the user's own project, as `init` writes it from the shipped template, is fine.
        const generated = ref.target.startsWith('/') && shipped.has(`templates/module/${path}`);
        if (!shipped.has(path) && !isDir && !generated) missing.push(`${ref.doc}:${ref.line} names ${ref.target}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('reads fenced blocks and links as the checks expect', () => {
    const md = 'a [x](../y.md#z) and src/a.ts\n```ts\nconst a = 1;\n```\n```ts fragment\nb\n```\n```bash\nsrc/not-counted\n```';
    assert.deepEqual(codeBlocks(md, 'ts'), [{ line: 2, code: 'const a = 1;' }]);
    assert.deepEqual(references('d.md', md).map((r) => r.target), ['../y.md', '/src/a.ts']);
  });
});
