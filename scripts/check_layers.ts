// The layering check: every import of every .ts file in the layer folders must point down (or
// across) the layering platform < kernels < core < nn < diffusion < bas < browser < lab <
// playground < cli, never up and never out to test/, scripts/ or bench/; and a Node built-in may be
// imported only in cli/, platform/node/ (the Node side of the platform seam, itself imported only
// by platform/default.ts and the other Node folders) and playground/node/ (the playground's build
// and static server), or by a file on NODE_BUILTIN_ALLOWLIST (empty: the seam took every one out). Run by test/docs/layers.test.ts; `npx tsx scripts/check_layers.ts` prints the
// same report.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The layer folders, lowest first: each may import only from itself and those before it. */
export const LAYERS = ['platform', 'kernels', 'core', 'nn', 'diffusion', 'bas', 'browser', 'lab', 'playground', 'cli'] as const;
export type Layer = (typeof LAYERS)[number];

/** Where Node built-ins may be imported freely: the command line and the playground's build and
 * server are Node's by nature, and platform/node/ is the platform seam's Node side, through which
 * the library reaches Node. */
export const NODE_FOLDERS = ['cli/', 'platform/node/', 'playground/node/'] as const;

/** The playground's build is build tooling itself: it may reuse the library bundler in scripts/. */
const SCRIPT_USERS = ['playground/node/'] as const;

/**
 * Files elsewhere that may import Node built-ins, and which ones. Empty since the platform seam
 * (issue 12, item 3); kept so that an exception, should one ever be needed, is named here. An
 * import not listed fails the check, and so does an entry whose file no longer needs it.
 */
export const NODE_BUILTIN_ALLOWLIST: Readonly<Record<string, readonly string[]>> = {};

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
        if (to === null && target.startsWith('scripts/') && SCRIPT_USERS.some((d) => f.path.startsWith(d))) continue;
        if (to === null) problems.push({ file: f.path, specifier: spec, why: `imports ${target}, outside the layers (${LAYERS.join(' < ')})` });
        else if (LAYERS.indexOf(to) > rank) problems.push({ file: f.path, specifier: spec, why: `${layer}/ imports ${to}/, a layer above it (${LAYERS.join(' < ')})` });
        else if (target.startsWith('platform/node/') && !NODE_FOLDERS.some((d) => f.path.startsWith(d)) && f.path !== 'platform/default.ts') {
          // the library reaches Node through getPlatform(), so a bundle can swap the Node side out
          problems.push({ file: f.path, specifier: spec, why: 'imports the Node platform directly: use getPlatform() (platform/platform.ts)' });
        }
      } else if (isNodeBuiltin(spec) && !NODE_FOLDERS.some((d) => f.path.startsWith(d))) {
        const name = builtinName(spec);
        if (!(allowlist[f.path] ?? []).includes(name)) {
          problems.push({ file: f.path, specifier: spec, why: `Node built-in ${name} outside ${NODE_FOLDERS.join(', ')}, and not on the allowlist (scripts/check_layers.ts): reach Node through the platform seam (platform/platform.ts)` });
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
    console.log(`layers ok: ${LAYERS.join(' < ')}; Node built-ins only in ${NODE_FOLDERS.join(' and ')} (${Object.keys(NODE_BUILTIN_ALLOWLIST).length} files on the allowlist)`);
  }
}
