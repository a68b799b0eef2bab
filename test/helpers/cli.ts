// Running `bas` in-process for the CLI tests: the console captured line by line, and the check
// every bad-input case shares: exit 2, exactly one error line, naming each culprit, and no file or
// folder made anywhere under the folders the case watches; and the set-up the CLI test files share.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { captureConsole, type Captured } from './console_capture.js';
import { tempRoot, writeScene, writeTinyModel } from './tiny_model.js';

/** Every file and folder under `dir` (folders with a trailing /), relative and sorted; [] when absent. */
export function tree(dir: string): string[] {
  const walk = (rel: string): string[] =>
    readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${join(rel, e.name)}/`, ...walk(join(rel, e.name))] : [join(rel, e.name)]));
  try {
    return walk('').sort();
  } catch {
    return [];
  }
}

export { captureConsole, type Captured } from './console_capture.js';

/**
 * Runs `bas argv...` expecting bad input: exit 2, one line `bas <command>: error: ...` naming every
 * culprit, and each watched folder holding exactly the entries it held before.
 */
export async function expectRejected(c: Captured, argv: readonly string[], culprits: readonly string[], watched: readonly string[] = []): Promise<string> {
  const before = watched.map((d) => tree(d));
  c.errors.length = 0;
  const code = await main([...argv]);
  expect(c.errors, `bas ${argv.join(' ')}`).toHaveLength(1);
  const line = c.errors[0]!;
  expect(code, line).toBe(2);
  expect(line).not.toContain('\n');
  expect(line.startsWith(`bas ${argv[0]}: error: `), line).toBe(true);
  for (const culprit of culprits) expect(line).toContain(culprit);
  watched.forEach((d, i) => expect(tree(d), `entries under ${d}`).toEqual(before[i]));
  return line;
}

export interface CliSuite {
  tmp: ReturnType<typeof tempRoot>;
  /** The tiny base model folder and a three-concept scene, written before the file's tests. */
  model: () => string;
  scene: () => string;
  /** The console of the running test. */
  out: () => Captured;
  /** A fresh empty folder for one case, and an output folder (not made) inside it. */
  caseDir: () => { parent: string; out: string };
}

/** Registers the shared hooks (temporary root, tiny model and scene, captured console) for a test file. */
export function cliSuite(prefix: string): CliSuite {
  const tmp = tempRoot(prefix);
  let model = '';
  let scene = '';
  let captured: Captured | null = null;
  beforeAll(() => {
    model = writeTinyModel(tmp.fresh('model'));
    scene = writeScene(tmp.fresh('scene'));
  });
  afterAll(() => tmp.cleanup());
  beforeEach(() => {
    captured = captureConsole();
  });
  afterEach(() => vi.restoreAllMocks());
  return {
    tmp,
    model: () => model,
    scene: () => scene,
    out: () => captured!,
    caseDir: () => {
      const parent = tmp.fresh('case');
      mkdirSync(parent);
      return { parent, out: join(parent, 'out') };
    },
  };
}
