// Memory under load (issue 15, item 4): a long `bas train` run without prior preservation, the
// process's resident set (RSS) sampled every 50 steps, once per backend, each backend in a fresh
// child process so one's pools and caches do not count against another. Prints one table per
// backend and a summary line (RSS after warm-up, at the end, the growth between) and optionally
// writes the samples as JSON. Each sample is also printed the moment it is taken (`sample <backend>
// {...}`), so a run stopped early (a loaded machine) still leaves the figures it reached.
//
//   npx tsx scripts/rss_run.ts [--model tiny|default] [--steps 1000] [--every 50]
//                              [--backends cpu,gpujs-webasm] [--json out.json]
//
// --model tiny is the tests' seeded tiny model (8x8, milliseconds a step); default is the shipped
// base model (models/base, 1-2 s a step on a CPU, so 1,000 steps take about half an hour per backend).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '../kernels/index.js';
import { trainConfig } from '../bas/train/config.js';
import { BreakASceneTrainer } from '../bas/train/trainer.js';
import { THREE_RECTS, writeScene, writeTinyModel } from '../test/helpers/tiny_model.js';

interface Sample {
  step: number;
  rss_mib: number;
  heap_mib: number;
}

interface Options {
  model: 'tiny' | 'default';
  steps: number;
  every: number;
  backends: string[];
  json: string | null;
}

function parse(argv: string[]): Options & { child: string | null } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = get('--model') ?? 'tiny';
  if (model !== 'tiny' && model !== 'default') throw new Error(`--model must be tiny or default, got "${model}"`);
  const steps = Number(get('--steps') ?? 1000);
  const every = Number(get('--every') ?? 50);
  if (!(Number.isInteger(steps) && steps >= 2 && Number.isInteger(every) && every >= 1)) throw new Error(`--steps (at least 2) and --every (at least 1) must be integers, got ${steps} and ${every}`);
  return { model, steps, every, backends: (get('--backends') ?? 'cpu,gpujs-webasm').split(','), json: get('--json') ?? null, child: get('--child') ?? null };
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** One run on `backend` in this process; each sample as a `sample` line, then all as JSON on the last stdout line. */
async function child(o: Options, backend: string): Promise<void> {
  setBackend(backend);
  const root = mkdtempSync(join(tmpdir(), 'bas-rss-'));
  try {
    const model = o.model === 'tiny' ? writeTinyModel(join(root, 'model')) : undefined;
    const size = o.model === 'tiny' ? 8 : 32;
    const scene = writeScene(join(root, 'scene'), THREE_RECTS, size);
    const half = Math.floor(o.steps / 2);
    // both phases (phase 2 trains the UNet and the text encoder), the default checkpointing
    const config = trainConfig({
      pretrained_model_name_or_path: model,
      instance_data_dir: scene,
      output_dir: join(root, 'out'),
      num_of_assets: 3,
      no_prior_preservation: true,
      phase1_train_steps: half,
      phase2_train_steps: o.steps - half,
    });
    const samples: Sample[] = [];
    const sample = (step: number): void => {
      const m = process.memoryUsage();
      const s = { step, rss_mib: mib(m.rss), heap_mib: mib(m.heapUsed) };
      samples.push(s);
      console.log(`sample ${backend} ${JSON.stringify(s)}`);
    };
    sample(0);
    const trainer = new BreakASceneTrainer(config, { log: () => undefined, onStep: (line) => line.step % o.every === 0 && sample(line.step) });
    await trainer.train();
    console.log(JSON.stringify(samples));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function table(backend: string, samples: readonly Sample[], every: number): string {
  // after warm-up: the first sample past step 2 * every (pools, caches and the optimizer's moments are made by then)
  const warm = samples.find((s) => s.step >= 2 * every) ?? samples[samples.length - 1]!;
  const last = samples[samples.length - 1]!;
  const max = Math.max(...samples.filter((s) => s.step >= warm.step).map((s) => s.rss_mib));
  const rows = samples.map((s) => `  ${String(s.step).padStart(5)}  ${String(s.rss_mib).padStart(6)}  ${String(s.heap_mib).padStart(6)}`);
  return [
    `${backend}: step  RSS MiB  heap MiB`,
    ...rows,
    `${backend}: RSS ${warm.rss_mib} MiB at step ${warm.step}, ${last.rss_mib} MiB at step ${last.step} (max ${max}): ${last.rss_mib - warm.rss_mib >= 0 ? '+' : ''}${last.rss_mib - warm.rss_mib} MiB over ${last.step - warm.step} steps`,
  ].join('\n');
}

/** Runs the child for `backend`, echoing its sample lines as they come; its samples. */
function runChild(here: string, backend: string): Promise<Sample[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', here, ...process.argv.slice(2), '--child', backend], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BAS_BACKEND: backend } });
  let last = '';
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line.startsWith('sample ')) console.log(line);
    else if (line.trim() !== '') last = line;
  });
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(last) as Sample[]) : reject(new Error(`the ${backend} run exited with status ${code}`))));
  });
}

const opts = parse(process.argv.slice(2));
if (opts.child !== null) {
  await child(opts, opts.child);
} else {
  const here = fileURLToPath(import.meta.url);
  const results: Record<string, Sample[]> = {};
  for (const backend of opts.backends) {
    const t0 = Date.now();
    const samples = await runChild(here, backend);
    results[backend] = samples;
    console.log(`${table(backend, samples, opts.every)} (${((Date.now() - t0) / 1000).toFixed(0)} s, model ${opts.model})\n`);
  }
  if (opts.json !== null) writeFileSync(opts.json, `${JSON.stringify({ model: opts.model, steps: opts.steps, every: opts.every, results }, null, 2)}\n`);
}
