// The layering check: every import of every .ts file in the layer folders must point down (or
// across) the layering kernels < core < nn < diffusion < bas < lab < cli, never up and never out to
// test/, scripts/ or bench/; and a Node built-in may be imported outside cli/ only by a file on
// NODE_BUILTIN_ALLOWLIST, the to-do list of the platform seam that is to take them out. Run by
// test/docs/layers.test.ts; `npx tsx scripts/check_layers.ts` prints the same report.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The layer folders, lowest first: each may import only from itself and those before it. */
export const LAYERS = ['kernels', 'core', 'nn', 'diffusion', 'bas', 'lab', 'cli'] as const;
export type Layer = (typeof LAYERS)[number];

/** The only layer that may import Node built-ins freely: the command line is Node's by nature. */
const NODE_LAYER: Layer = 'cli';

/**
 * Files outside cli/ that still import Node built-ins, and which ones: each entry is a to-do of the
 * platform seam (issue 12, item 3), to be removed when the file reaches Node through it. An import
 * not listed fails the check, and so does an entry whose file no longer needs it, so the list only
 * shrinks.
 */
export const NODE_BUILTIN_ALLOWLIST: Readonly<Record<string, readonly string[]>> = {
  // worker pools of the cpu and SIMD kernels (a browser would use Web Workers)
  'kernels/cpu/threads.ts': ['node:worker_threads'],
  'kernels/simd/gemm.ts': ['node:worker_threads'],
  // createRequire to load gpu.js's CommonJS build and headless-gl
  'kernels/gpujs/load.ts': ['node:module'],
  // atomic file writes (temp file + rename) and their random names
  'nn/fs_atomic.ts': ['node:fs', 'node:path', 'node:crypto'],
  // from_pretrained / save_pretrained: the pipeline folder on disk
  'nn/pipeline.ts': ['node:fs', 'node:path'],
  // CLIPTokenizer.from_pretrained / save_pretrained
  'nn/tokenizer/clip_tokenizer.ts': ['node:fs', 'node:path'],
  // images and masks read from files
  'bas/io/image.ts': ['node:fs', 'node:path'],
  'bas/io/instance.ts': ['node:fs', 'node:path'],
  // metrics.jsonl truncated on resume
  'bas/io/jsonl.ts': ['node:fs'],
  // the shipped base model's folder, found next to the sources
  'bas/model.ts': ['node:fs', 'node:path', 'node:url'],
  // the trainer's outputs: checkpoints, class images, metrics, image logs
  'bas/train/checkpoint.ts': ['node:fs', 'node:path'],
  'bas/train/class_images.ts': ['node:fs', 'node:path'],
  'bas/train/trainer.ts': ['node:fs', 'node:path'],
  // validation samples and per-layer attention maps, each step in a folder
  'bas/train/run_outputs.ts': ['node:fs', 'node:path'],
  // a run's report reads the run folder
  'bas/report/run_folder.ts': ['node:fs', 'node:path'],
  // the lab's runs write their folders directly
  'lab/eval/break_a_scene.ts': ['node:fs', 'node:path'],
  'lab/eval/report.ts': ['node:fs', 'node:path'],
  'lab/pretrain/clip_pretrainer.ts': ['node:fs', 'node:path'],
  'lab/pretrain/pretrainer.ts': ['node:fs', 'node:path'],
  'lab/world/folder.ts': ['node:fs', 'node:path', 'node:crypto'],
};

export interface SourceFile {
  /** Path from the repository root, with forward slashes (`bas/train/trainer.ts`). */
  path: string;
  text: string;
}

export interface Problem {
  file: string;
  /** The import as written. */
  specifier: string;
  why: string;
}

const BUILTINS: ReadonlySet<string> = new Set(builtinModules);

/** `node:fs`, `fs`, `fs/promises`: a Node built-in, whether or not it says `node:`. */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]!);
}

/** The normalised built-in name (`fs/promises` -> `node:fs/promises`), as the allowlist writes it. */
function builtinName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
}

/** Every module a file names: static imports and re-exports, `import()`, `require()` (TypeScript's own scanner, so comments and strings do not count). */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function layerOf(path: string): Layer | null {
  const top = path.split('/')[0]!;
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : null;
}

/** The problems of a set of files (those outside the layer folders are not checked). */
export function checkLayers(files: readonly SourceFile[], allowlist: Readonly<Record<string, readonly string[]>> = NODE_BUILTIN_ALLOWLIST): Problem[] {
  const problems: Problem[] = [];
  const used = new Map<string, Set<string>>();
  for (const f of files) {
    const layer = layerOf(f.path);
    if (layer === null) continue;
    const rank = LAYERS.indexOf(layer);
    for (const spec of importsOf(f.text)) {
      if (spec.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(f.path), spec));
        const to = layerOf(target);
        if (to === null) problems.push({ file: f.path, specifier: spec, why: `imports ${target}, outside the layers (${LAYERS.join(' < ')})` });
        else if (LAYERS.indexOf(to) > rank) problems.push({ file: f.path, specifier: spec, why: `${layer}/ imports ${to}/, a layer above it (${LAYERS.join(' < ')})` });
      } else if (isNodeBuiltin(spec) && layer !== NODE_LAYER) {
        const name = builtinName(spec);
        if (!(allowlist[f.path] ?? []).includes(name)) {
          problems.push({ file: f.path, specifier: spec, why: `Node built-in ${name} outside cli/ and not on the allowlist (scripts/check_layers.ts): reach Node through the platform seam` });
        }
        used.set(f.path, (used.get(f.path) ?? new Set()).add(name));
      }
    }
  }
  // an allowance no longer used is a finished to-do: it must go, so it cannot cover a new import
  const checked = new Set(files.map((f) => f.path));
  for (const [file, names] of Object.entries(allowlist)) {
    for (const name of names) {
      if (checked.has(file) && !used.get(file)?.has(name)) problems.push({ file, specifier: name, why: 'on the Node built-in allowlist but no longer imported: remove the entry' });
    }
  }
  return problems;
}

/** Every .ts file under the layer folders of the repository at `root`. */
export function layerFiles(root: string): SourceFile[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(rel);
      return e.name.endsWith('.ts') ? [rel] : [];
    });
  return LAYERS.flatMap((l) => walk(l)).map((p) => ({ path: p.split(sep).join('/'), text: readFileSync(join(root, p), 'utf8') }));
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}: import '${p.specifier}': ${p.why}`).join('\n');
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const problems = checkLayers(layerFiles(root));
  if (problems.length > 0) {
    console.error(`${formatProblems(problems)}\n${problems.length} layering problem(s)`);
    process.exitCode = 1;
  } else {
    console.log(`layers ok: ${LAYERS.join(' < ')}; ${Object.keys(NODE_BUILTIN_ALLOWLIST).length} files still on the Node built-in allowlist`);
  }
}
