// The README's layer table matches the imports: scripts/check_layers.ts on the repository finds no
// import running up the layering and no Node built-in outside cli/, platform/node/ and
// playground/node/ (its allowlist is empty); on synthetic files it does fail, naming file and
// import, so the check can fail; and the README's table lists every top-level source folder, the
// layers in the order the check enforces.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, formatProblems, LAYERS, layerFiles, NODE_BUILTIN_ALLOWLIST, type SourceFile } from '../../scripts/check_layers.js';

const root = join(import.meta.dirname, '..', '..');

describe('the layering check', () => {
  it('passes on the repository', () => {
    const files = layerFiles(root);
    expect(files.length).toBeGreaterThan(100);
    const problems = checkLayers(files);
    expect(problems, formatProblems(problems)).toEqual([]);
    // the platform seam took every Node built-in out of the library
    expect(NODE_BUILTIN_ALLOWLIST).toEqual({});
    expect(files.some((f) => f.path === 'platform/node/index.ts')).toBe(true);
  });

  const check = (files: SourceFile[], allow: Record<string, readonly string[]> = {}): string => formatProblems(checkLayers(files, allow));

  it('fails on an import that runs up the layering, naming file and import', () => {
    const out = check([
      { path: 'bas/train/trainer.ts', text: "import { selectBackend } from '../../cli/backend.js';\n" },
      { path: 'core/tensor.ts', text: "export { x } from '../nn/module.js';\nconst m = await import('../bas/model.js');\n" },
      { path: 'nn/layers.ts', text: "import { tinyModel } from '../test/helpers/tiny_model.js';\n" },
      { path: 'platform/memory.ts', text: "import { x } from '../kernels/index.js';\n" },
      { path: 'browser/index.ts', text: "export * from '../lab/world/index.js';\n" },
      // the Node side only through getPlatform(), so a bundle can swap it out
      { path: 'bas/model.ts', text: "import { nodePlatform } from '../platform/node/index.js';\n" },
    ]);
    expect(out).toContain("bas/train/trainer.ts: import '../../cli/backend.js': bas/ imports cli/, a layer above it");
    expect(out).toContain("core/tensor.ts: import '../nn/module.js': core/ imports nn/");
    expect(out).toContain("core/tensor.ts: import '../bas/model.js': core/ imports bas/");
    expect(out).toContain("nn/layers.ts: import '../test/helpers/tiny_model.js': imports test/helpers/tiny_model.js, outside the layers");
    expect(out).toContain("platform/memory.ts: import '../kernels/index.js': platform/ imports kernels/, a layer above it");
    expect(out).toContain("browser/index.ts: import '../lab/world/index.js': browser/ imports lab/");
    expect(out).toContain("bas/model.ts: import '../platform/node/index.js': imports the Node platform directly");
  });

  it('allows imports down and across the layers, and ignores commented-out ones', () => {
    expect(check([
      { path: 'cli/main.ts', text: "import { x } from '../lab/eval/report.js';\nimport { readFileSync } from 'node:fs';\n" },
      { path: 'lab/world/index.ts', text: "import { y } from '../../bas/model.js';\nimport { z } from './palette.js';\n// import { w } from '../../cli/main.js';\n" },
      { path: 'kernels/cpu/x.ts', text: "import gpu from 'gpu.js';\nimport { getPlatform } from '../../platform/platform.js';\n" },
      { path: 'platform/node/files.ts', text: "import { readFileSync } from 'node:fs';\nimport type { Files } from '../files.js';\n" },
      { path: 'browser/index.ts', text: "export * as bas from '../bas/model.js';\n" },
    ])).toBe('');
  });

  it('fails on a Node built-in outside cli/ unless the allowlist names it, and on a stale allowance', () => {
    const files: SourceFile[] = [
      { path: 'bas/io/png.ts', text: "import { readFileSync } from 'fs';\nimport { Worker } from 'node:worker_threads';\n" },
      { path: 'nn/loader.ts', text: "import { createRequire } from 'module';\nconst cp = require('child_process');\n" },
      { path: 'platform/memory.ts', text: "import { join } from 'node:path';\n" },
    ];
    const out = check(files, { 'bas/io/png.ts': ['node:fs', 'node:path'] });
    expect(out).not.toContain("import 'fs'");
    expect(out).toContain("bas/io/png.ts: import 'node:worker_threads': Node built-in node:worker_threads outside cli/, platform/node/, playground/node/, and not on the allowlist");
    expect(out).toContain("nn/loader.ts: import 'module': Node built-in node:module");
    expect(out).toContain("nn/loader.ts: import 'child_process': Node built-in node:child_process");
    expect(out).toContain("platform/memory.ts: import 'node:path': Node built-in node:path outside cli/, platform/node/, playground/node/");
    expect(out).toContain("bas/io/png.ts: import 'node:path': on the Node built-in allowlist but no longer imported");
  });

  it('places the playground between lab and cli: its Node side may use Node (and the bundler script), the page and worker may not', () => {
    expect(check([
      { path: 'playground/node/build.ts', text: "import { join } from 'node:path';\nimport { bundleBrowser } from '../../scripts/bundle_browser.js';\nimport { x } from '../../lab/world/index.js';\n" },
      { path: 'playground/worker/session.ts', text: "import { loadModel } from '../../bas/model.js';\n" },
      { path: 'cli/playground.ts', text: "import { serve } from '../playground/node/serve.js';\n" },
    ])).toBe('');
    const out = check([
      { path: 'playground/worker/scene.ts', text: "import { readFileSync } from 'node:fs';\nimport { run } from '../../cli/main.js';\nimport { y } from '../../scripts/flag_table.js';\n" },
      { path: 'lab/eval/report.ts', text: "import { z } from '../../playground/worker/session.js';\n" },
    ]);
    expect(out).toContain("playground/worker/scene.ts: import 'node:fs': Node built-in node:fs outside cli/, platform/node/, playground/node/");
    expect(out).toContain("playground/worker/scene.ts: import '../../cli/main.js': playground/ imports cli/, a layer above it");
    expect(out).toContain("playground/worker/scene.ts: import '../../scripts/flag_table.js': imports scripts/flag_table.js, outside the layers");
    expect(out).toContain("lab/eval/report.ts: import '../../playground/worker/session.js': lab/ imports playground/, a layer above it");
  });
});

describe("the README's table of folders", () => {
  /** The folder column of the table under "## Where things are", in order. */
  const tableFolders = (): string[] => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Where things are'));
    const table = section.slice(section.indexOf('| folder |'), section.indexOf('\n\n', section.indexOf('| folder |')));
    return [...table.matchAll(/^\| `([^`/]+)\/` \|/gm)].map((m) => m[1]!);
  };
  /** Every top-level folder holding TypeScript sources. */
  const sourceFolders = (): string[] => {
    const hasTs = (dir: string): boolean =>
      readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name !== 'node_modules' && hasTs(join(dir, e.name)) : e.name.endsWith('.ts')));
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && hasTs(join(root, e.name)))
      .map((e) => e.name)
      .sort();
  };

  it('lists every top-level source folder once, the layers first and in the order check_layers.ts enforces', () => {
    const listed = tableFolders();
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(sourceFolders());
    expect(listed.slice(0, LAYERS.length)).toEqual([...LAYERS]);
    expect(listed.length).toBeGreaterThan(LAYERS.length);
  });
});
