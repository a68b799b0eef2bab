// The README's layer table matches the imports: scripts/check_layers.ts on the repository finds no
// import running up the layering and no Node built-in outside cli/ and platform/node/ (its
// allowlist is empty); and on synthetic files it does fail, naming file and import, so the check
// can fail.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, formatProblems, layerFiles, NODE_BUILTIN_ALLOWLIST, type SourceFile } from '../../scripts/check_layers.js';

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
    expect(out).toContain("bas/io/png.ts: import 'node:worker_threads': Node built-in node:worker_threads outside cli/ and platform/node/, and not on the allowlist");
    expect(out).toContain("nn/loader.ts: import 'module': Node built-in node:module");
    expect(out).toContain("nn/loader.ts: import 'child_process': Node built-in node:child_process");
    expect(out).toContain("platform/memory.ts: import 'node:path': Node built-in node:path outside cli/ and platform/node/");
    expect(out).toContain("bas/io/png.ts: import 'node:path': on the Node built-in allowlist but no longer imported");
  });
});
