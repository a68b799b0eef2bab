// `bas make-scene` walked through issue 15's table: flags out of range (a resolution off the
// world's 32 px grid, 0, negative or too large to draw; object counts; non-numeric seeds) and
// output folders it must not write (a file, under a file, a non-empty folder, --overwrite of a
// folder holding more than a scene) are one error line, exit 2, nothing written; a full disk is
// one line, exit 1, no temporary folder and the earlier scene kept; an earlier scene with
// --overwrite, missing parent folders, and paths with spaces and non-ASCII characters work.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { loadInstanceFolder } from '../../bas/io/index.js';
import { cliSuite, expectRejected, tree } from '../helpers/cli.js';
import { diskFaults } from '../helpers/fault_files.js';

const suite = cliSuite('bas-make-scene');

const makeScene = (out: string, extra: readonly string[] = []): string[] => ['make-scene', '--output_dir', out, ...extra];

async function made(argv: readonly string[]): Promise<void> {
  const c = suite.out();
  c.errors.length = 0;
  const code = await main([...argv]);
  expect(c.errors, argv.join(' ')).toEqual([]);
  expect(code).toBe(0);
}

const { fault: diskFault, fix: diskFixed } = diskFaults();
afterEach(diskFixed);

describe('bas make-scene: bad flags', () => {
  it('a resolution off the 32 px grid, 0, negative or too large; object counts out of range; non-numeric seeds', async () => {
    const { parent, out } = suite.caseDir();
    const c = suite.out();
    const cases: [string[], string][] = [
      [['--resolution', '20'], '--resolution must be a multiple of 32 from 32 to 512 (the world\'s shapes are laid out on a 32 px grid), got 20'],
      [['--resolution', '48'], 'got 48'],
      [['--resolution', '0'], 'got 0'],
      [['--resolution=-32'], 'got -32'],
      [['--resolution', '1024'], 'got 1024'],
      [['--resolution', '32.5'], '--resolution expects an integer, got "32.5"'],
      [['--num_objects', '0'], '--num_objects must be 1..4, got 0'],
      [['--num_objects', '5'], '--num_objects must be 1..4, got 5'],
      [['--seed', 'abc'], '--seed expects a number, got "abc"'],
      [['--seed', 'NaN'], '--seed expects a number, got "NaN"'],
    ];
    for (const [extra, message] of cases) await expectRejected(c, makeScene(out, extra), [message], [parent]);
  });
});

describe('bas make-scene: output folders', () => {
  it('a file, a path under a file, a non-empty folder, --overwrite of a folder holding more than a scene', async () => {
    const { parent } = suite.caseDir();
    const c = suite.out();
    const file = join(parent, 'file');
    writeFileSync(file, 'x');
    await expectRejected(c, makeScene(file), [`--output_dir ${file} is a file, not a folder`], [parent]);
    await expectRejected(c, makeScene(join(file, 'scene')), [`--output_dir ${join(file, 'scene')}: ${file} is a file, not a folder`], [parent]);
    const busy = join(parent, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    writeFileSync(join(busy, 'img.png'), 'mine too');
    await expectRejected(c, makeScene(busy), [`--output_dir ${busy} is not empty (it holds img.png, notes.txt); choose an empty or new --output_dir`], [parent]);
    await expectRejected(c, makeScene(busy, ['--overwrite']), [`--output_dir ${busy} holds more than a scene (notes.txt): --overwrite replaces only a folder holding a scene and nothing else`], [parent]);
    expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('an earlier scene: refused without --overwrite, replaced with it', async () => {
    const { parent, out } = suite.caseDir();
    await made(makeScene(out, ['--seed', '1', '--num_objects', '2']));
    expect(tree(out)).toEqual(['img.png', 'mask0.png', 'mask1.png', 'scene.json']);
    const first = readFileSync(join(out, 'img.png'));
    await expectRejected(suite.out(), makeScene(out), [`--output_dir ${out} already holds a scene (img.png, mask0.png, mask1.png, scene.json); pass --overwrite to replace it`], [parent]);
    await made(makeScene(out, ['--seed', '2', '--num_objects', '3', '--overwrite']));
    expect(tree(out)).toEqual(['img.png', 'mask0.png', 'mask1.png', 'mask2.png', 'scene.json']);
    expect(readFileSync(join(out, 'img.png')).equals(first)).toBe(false);
    // nothing else left beside it (no temporary or moved-aside folder)
    expect(readdirSync(parent)).toEqual([basename(out)]);
  });

  it('a full disk: exit 1, one line, no temporary folder, the earlier scene kept', async () => {
    const { parent, out } = suite.caseDir();
    const c = suite.out();
    diskFault([{ op: 'writeFile', path: 'mask1\\.png$', action: 'ENOSPC' }]);
    expect(await main(makeScene(out))).toBe(1);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatch(new RegExp(`^bas make-scene: error: cannot write the scene folder ${out}: ENOSPC: no space left on device, write '.*mask1\\.png' \\(the disk is full\\)$`));
    expect(readdirSync(parent)).toEqual([]);
    // over an earlier scene: that one stays whole
    diskFixed();
    await made(makeScene(out, ['--seed', '1']));
    const before = tree(out).map((n) => [n, readFileSync(join(out, n)).toString('hex')]);
    diskFault([{ op: 'writeFile', path: 'scene\\.json$', action: 'ENOSPC' }]);
    c.errors.length = 0;
    expect(await main(makeScene(out, ['--seed', '2', '--overwrite']))).toBe(1);
    expect(c.errors).toHaveLength(1);
    expect(tree(out).map((n) => [n, readFileSync(join(out, n)).toString('hex')])).toEqual(before);
    expect(readdirSync(parent)).toEqual([basename(out)]);
  });

  it('missing parent folders are made; paths with spaces and non-ASCII characters; the folder loads as an instance folder', async () => {
    const { parent } = suite.caseDir();
    const out = join(parent, 'mes scènes ü', 'scène 1 日本');
    await made(makeScene(out, ['--num_objects', '2', '--resolution', '64']));
    expect(tree(dirname(out))).toEqual(['scène 1 日本/', 'scène 1 日本/img.png', 'scène 1 日本/mask0.png', 'scène 1 日本/mask1.png', 'scène 1 日本/scene.json']);
    const inst = loadInstanceFolder(out, { resolution: 32, numOfAssets: 2 });
    expect([inst.width, inst.height, inst.masks.length]).toEqual([64, 64, 2]);
    expect(suite.out().logs.some((l) => l.startsWith(`wrote ${out}: "a photo of `))).toBe(true);
  });
});
