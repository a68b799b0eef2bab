// `npm run playground:build`: the playground as a static folder (playground/dist) that any static
// host can serve: index.html and style.css, the page script and the Web Worker script bundled by
// esbuild on the browser platform (the build fails naming the import chain of any Node built-in, as
// the library's browser bundle does), the shipped base model (models/base) and the tiny test model,
// each with files.json listing its files. Built under a temporary name and renamed into place, so a
// failed build leaves the previous folder as it was.
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBrowser } from '../../scripts/bundle_browser.js';
import { tinyModel, writeManifest, writeModelFolder } from '../model_folder.js';

const PLAYGROUND = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(PLAYGROUND, '..');
const DIST = join(PLAYGROUND, 'dist');
const STATIC_FILES = ['index.html', 'style.css'];
/** The seed of the tiny model's weights. */
const TINY_SEED = 0;

export interface BuildResult {
  dir: string;
  /** Bytes of page.js and worker.js. */
  bytes: { page: number; worker: number };
  models: Record<string, number>;
}

export async function buildPlayground(opts: { out?: string; minify?: boolean } = {}): Promise<BuildResult> {
  const out = opts.out ?? DIST;
  const base = join(ROOT, 'models', 'base');
  if (!existsSync(join(base, 'model_index.json'))) throw new Error(`no base model at ${relative(ROOT, base)} (model_index.json missing): the playground ships the repository's model`);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const minify = opts.minify ?? false;
    const page = await bundleBrowser({ entry: join(PLAYGROUND, 'page', 'main.ts'), outfile: join(tmp, 'page.js'), minify });
    const worker = await bundleBrowser({ entry: join(PLAYGROUND, 'worker.ts'), outfile: join(tmp, 'worker.js'), minify });
    for (const f of STATIC_FILES) cpSync(join(PLAYGROUND, f), join(tmp, f));
    cpSync(base, join(tmp, 'models', 'base'), { recursive: true });
    const models = { base: writeManifest(join(tmp, 'models', 'base')).length, tiny: writeModelFolder(join(tmp, 'models', 'tiny'), tinyModel(TINY_SEED)).length };
    // swap in: the old folder aside first (rename cannot replace a non-empty folder)
    const old = `${out}.old-${process.pid}`;
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
    rmSync(old, { recursive: true, force: true });
    return { dir: out, bytes: { page: page.bytes, worker: worker.bytes }, models };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  try {
    const r = await buildPlayground({ minify: process.argv.includes('--minify') });
    const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
    console.log(`playground: ${relative(ROOT, r.dir)} (page.js ${kib(r.bytes.page)}, worker.js ${kib(r.bytes.worker)}, models base ${r.models.base} files, tiny ${r.models.tiny} files), no Node built-ins`);
  } catch (e) {
    console.error(`playground build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
