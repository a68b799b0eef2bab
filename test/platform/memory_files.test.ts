// MemoryFiles against the disk: the same sequence of operations on NodeFiles (a temporary folder)
// and on MemoryFiles gives the same listings, contents and error codes, so library code written
// against Files behaves the same in a browser; plus the path helpers against node:path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fileErrorCode, MemoryFiles, type Files } from '../../platform/index.js';
import { basename, dirname, extname, join, normalize } from '../../platform/path.js';
import { nodePlatform } from '../../platform/node/index.js';

const root = mkdtempSync(posix.join(tmpdir(), 'bas-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** What an operation gave: its value, or the error's code. */
function outcome(f: () => unknown): unknown {
  try {
    const v = f();
    return v instanceof Uint8Array ? { bytes: Array.from(v) } : { value: v ?? null };
  } catch (e) {
    return { code: fileErrorCode(e) ?? String(e) };
  }
}

/** Runs the same script on a Files rooted at `base`, returning every outcome. */
function script(fs: Files, base: string): unknown[] {
  const p = (rel: string): string => fs.join(base, rel);
  return [
    outcome(() => fs.mkdirp(p('a/b/c'))),
    outcome(() => fs.writeFile(p('a/x.txt'), 'hello')),
    outcome(() => fs.writeFileAtomic(p('a/b/y.bin'), new Uint8Array([1, 2, 3]))),
    outcome(() => fs.appendText(p('a/log.jsonl'), '{"step":1}\n')),
    outcome(() => fs.appendText(p('a/log.jsonl'), '{"step":2}\n')),
    outcome(() => fs.readText(p('a/log.jsonl'))),
    outcome(() => fs.readFile(p('a/b/y.bin'))),
    outcome(() => fs.listDir(p('a'))),
    outcome(() => fs.readFile(p('a/missing'))),
    outcome(() => fs.readFile(p('a/b'))),
    outcome(() => fs.writeFile(p('nope/z.txt'), 'z')),
    outcome(() => fs.listDir(p('a/x.txt'))),
    outcome(() => fs.exists(p('a/b/c'))),
    outcome(() => fs.isDirectory(p('a/x.txt'))),
    outcome(() => fs.isDirectory(p('a/b'))),
    // a folder renamed over an empty one replaces it; a file over a file replaces it
    outcome(() => fs.mkdirp(p('empty'))),
    outcome(() => fs.rename(p('a/b'), p('empty'))),
    outcome(() => fs.listDir(p('empty'))),
    outcome(() => fs.readFile(p('empty/y.bin'))),
    outcome(() => fs.exists(p('a/b'))),
    outcome(() => fs.rename(p('a/x.txt'), p('a/log.jsonl'))),
    outcome(() => fs.readText(p('a/log.jsonl'))),
    outcome(() => fs.rename(p('a/gone'), p('a/other'))),
    outcome(() => fs.mkdirp(p('full/inner'))),
    outcome(() => fs.rename(p('empty'), p('full'))),
    outcome(() => fs.remove(p('empty'))),
    outcome(() => fs.remove(p('never-there'))),
    // an exclusive create: once, then EEXIST for the file and for a folder; ENOENT in a missing folder
    outcome(() => fs.writeFileExclusive(p('a/lock'), 'one')),
    outcome(() => fs.writeFileExclusive(p('a/lock'), 'two')),
    outcome(() => fs.readText(p('a/lock'))),
    outcome(() => fs.writeFileExclusive(p('full'), 'x')),
    outcome(() => fs.writeFileExclusive(p('nope/lock'), 'x')),
    outcome(() => fs.listDir(base)),
    outcome(() => fs.basename(p('a/log.jsonl'))),
  ];
}

describe('MemoryFiles', () => {
  it('answers a script of operations exactly as the disk does (values, listings, error codes)', () => {
    const disk = nodePlatform().files;
    const base = posix.join(root, `s${n++}`);
    disk.mkdirp(base);
    const mem = new MemoryFiles();
    mem.mkdirp('/s');
    const want = script(disk, base);
    expect(script(mem, '/s')).toEqual(want);
    // the script did reach the failure paths it was written for
    expect(want).toContainEqual({ code: 'ENOENT' });
    expect(want).toContainEqual({ code: 'EISDIR' });
    expect(want).toContainEqual({ code: 'ENOTDIR' });
  });

  it('takes its content from ArrayBuffers, Uint8Arrays and strings, copied, and gives back what was written', () => {
    const buf = new Uint8Array([9, 8, 7]);
    const fs = MemoryFiles.from({ '/w/model.safetensors': buf.buffer, '/w/tok/vocab.json': '{"a":0}', 'rel/img.png': buf });
    buf[0] = 0;
    expect(Array.from(fs.readFile('/w/model.safetensors'))).toEqual([9, 8, 7]);
    expect(fs.readText('/w/tok/vocab.json')).toBe('{"a":0}');
    expect(fs.listDir('/')).toEqual(['rel', 'w']);
    fs.writeFile('/w/out.txt', 'x');
    expect(Object.keys(fs.snapshot('/w'))).toEqual(['/w/model.safetensors', '/w/out.txt', '/w/tok/vocab.json']);
  });
});

describe('path helpers', () => {
  const part = fc.constantFrom('a', 'bb', '.', '..', '', 'c.png', '.hidden', 'x.tar.gz');
  const path = fc.tuple(fc.boolean(), fc.array(part, { maxLength: 6 })).map(([abs, parts]) => (abs ? '/' : '') + parts.join('/'));

  it('agree with node:path (posix) on normalize, join, extname, and dirname and basename of normalised paths', () => {
    // node:path keeps a trailing slash that ours drops ('a/' -> 'a'): the same folder
    const bare = (s: string): string => s.replace(/(.)\/$/, '$1');
    fc.assert(
      fc.property(path, path, (p, q) => {
        expect(normalize(p)).toBe(bare(posix.normalize(p)));
        expect(join(p, q)).toBe(bare(posix.join(p, q)));
        expect(extname(p)).toBe(posix.extname(p));
        const r = bare(posix.normalize(p));
        expect(dirname(r)).toBe(posix.dirname(r));
        expect(basename(r)).toBe(posix.basename(r));
      }),
      { numRuns: 300 },
    );
  });
});
