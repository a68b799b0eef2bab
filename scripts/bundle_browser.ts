// The browser bundle and its check: esbuild bundles browser/index.ts (core + kernels + nn +
// diffusion + bas on the browser platform) into dist/browser/bas.js, an IIFE that defines the
// global `basTs`, and FAILS if any Node built-in is left in it, naming each import chain from the
// entry to the built-in. package.json's "browser" field swaps the Node platform for the browser's;
// pngjs comes as its own browser build, with the npm `buffer` package for Node's Buffer.
// `npm run bundle:browser` writes the file; test/docs/browser_bundle.test.ts builds and runs it.
import { builtinModules } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BROWSER_ENTRY = join(ROOT, 'browser', 'index.ts');
export const BROWSER_BUNDLE = join(ROOT, 'dist', 'browser', 'bas.js');
/** The global the IIFE defines. */
export const GLOBAL_NAME = 'basTs';

export interface BundleResult {
  /** The bundle's JavaScript. */
  code: string;
  bytes: number;
  /** Where it was written, when it was. */
  file: string | null;
}

export interface BundleOptions {
  entry?: string;
  /** Where to write the bundle; null: keep it in memory only. */
  outfile?: string | null;
  minify?: boolean;
}

/** A Node built-in's specifier: `fs`, `node:fs`, `fs/promises` (not `buffer/`, the npm package). */
const BUILTIN = new RegExp(`^(node:)?(${[...new Set(builtinModules.map((m) => m.split('/')[0]!))].map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(/.+)?$`);
const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || BUILTIN.test(spec);

/** Lets a Node built-in through as external (so the build completes and every one is found), for the check below to report. */
const keepBuiltinsVisible: Plugin = {
  name: 'node-builtins-visible',
  setup(b) {
    b.onResolve({ filter: BUILTIN }, (args) => ({ path: args.path, external: true }));
  },
};

/** Each Node built-in the bundle imports, as the import chain from the entry: `browser/index.ts -> ... -> node:fs`. */
export function builtinChains(meta: Metafile, entry: string): string[] {
  // breadth first from the entry, so each chain is a shortest one
  const parent = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  const chains: string[] = [];
  const chainTo = (file: string): string[] => {
    const path: string[] = [];
    for (let f: string | null = file; f !== null; f = parent.get(f) ?? null) path.unshift(f);
    return path;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const imp of meta.inputs[file]?.imports ?? []) {
      if (imp.external) {
        if (isBuiltin(imp.path)) chains.push([...chainTo(file), imp.path].join(' -> '));
      } else if (!parent.has(imp.path)) {
        parent.set(imp.path, file);
        queue.push(imp.path);
      }
    }
  }
  return chains;
}

/** Builds the bundle; throws, naming each chain, when a Node built-in is left in it. */
export async function bundleBrowser(opts: BundleOptions = {}): Promise<BundleResult> {
  const entry = opts.entry ?? BROWSER_ENTRY;
  const outfile = opts.outfile === undefined ? BROWSER_BUNDLE : opts.outfile;
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: GLOBAL_NAME,
    target: 'es2022',
    minify: opts.minify ?? false,
    write: false,
    outfile: outfile ?? join(ROOT, 'dist', 'browser', 'bas.js'),
    metafile: true,
    logLevel: 'silent',
    alias: { pngjs: 'pngjs/browser.js' },
    inject: [join(ROOT, 'scripts', 'browser_shims', 'buffer.ts')],
    plugins: [keepBuiltinsVisible],
  });
  const chains = builtinChains(result.metafile, relative(ROOT, entry).split('\\').join('/'));
  if (chains.length > 0) {
    throw new Error(`the browser bundle imports Node built-ins (reach Node only through platform/node, which the bundle swaps out):\n  ${chains.join('\n  ')}`);
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  if (outfile !== null) {
    mkdirSync(dirname(outfile), { recursive: true });
    writeFileSync(outfile, code);
  }
  return { code, bytes: Buffer.byteLength(code), file: outfile };
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  try {
    const r = await bundleBrowser({ minify: process.argv.includes('--minify') });
    console.log(`browser bundle: ${relative(ROOT, r.file!)} (${(r.bytes / 1024).toFixed(0)} KiB, global ${GLOBAL_NAME}), no Node built-ins`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
