// `npm run bench`: every op of cases.ts on each bas-ts backend available here and on TF.js's cpu
// and wasm backends, side by side in one run; prints a table and writes bench/results.json.
// GL rows need a GL context: run `xvfb-run -a npm run bench` to include gpujs-headlessgl.
// Environment: BAS_BENCH_BUDGET_MS (timing budget per row, default 400), BAS_BENCH_SKIP_UNET=1 (no whole-step rows).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend, tidy, unsupportedReason, type GpuJsMode, type KernelBackend } from '../kernels/index.js';
import { warmCpuThreads } from '../kernels/cpu/threads.js';
import { warmSimd } from '../kernels/simd/gemm.js';
import { basRunner } from './bas.js';
import { STEP_CASES } from './steps.js';
import { torchUnetRow } from './torch.js';
import { unetConfig, unetFlops } from '../nn/index.js';
import { CASES, type Case } from './cases.js';
import { printTable, type Row } from './table.js';
import { loadTf, tfRunner, useTfBackend } from './tfjs.js';
import { time } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const budget = Number(process.env['BAS_BENCH_BUDGET_MS'] ?? 400);
const BAS: readonly [string, string, GpuJsMode | null][] = [
  ['bas-cpu', 'cpu', null],
  ['bas-gpujs-webasm', 'gpujs-webasm', 'webasm'],
  // the same gpu.js webasm backend with the hand-emitted SIMD kernels off: gpu.js alone
  ['bas-gpujs-webasm-nosimd', 'gpujs-webasm-nosimd', 'webasm'],
  ['bas-gpujs-headlessgl', 'gpujs-headlessgl', 'headlessgl'],
];

const rows: Row[] = [];
const notes: string[] = [];
const t0 = performance.now();
const row = (c: Case | { op: string; shape: string; flops: number }, impl: string, ms: number): void => {
  rows.push({ op: c.op, shape: c.shape, impl, ms: +ms.toFixed(3), gflops: +(c.flops / ms / 1e6).toFixed(2) });
};

warmCpuThreads();
warmSimd();
await new Promise((r) => setTimeout(r, 200)); // let the helper workers start

const backends: [string, string, KernelBackend][] = [];
for (const [impl, name, mode] of BAS) {
  const why = mode ? unsupportedReason(mode) : null;
  if (why) notes.push(`${impl} skipped: ${why}`);
  else backends.push([impl, name, setBackend(name)]);
}

for (const c of CASES) {
  for (const [impl, , b] of backends) {
    tidy(() => {
      const r = basRunner(b, c);
      row(c, impl, time(r.run, budget).ms);
      r.dispose();
    });
  }
}

const tf = await loadTf();
for (const name of ['cpu', 'wasm'] as const) {
  if (!(await useTfBackend(tf, name))) {
    notes.push(`tfjs-${name} skipped: backend failed to initialise`);
    continue;
  }
  if (name === 'wasm') {
    const env = tf.env();
    const flag = (f: string): string => { try { return String(env.getBool(f)); } catch { return '?'; } };
    notes.push(`tfjs-wasm: simd=${flag('WASM_HAS_SIMD_SUPPORT')} threads=${flag('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  }
  for (const c of CASES) {
    const r = tfRunner(tf, c);
    row(c, `tfjs-${name}`, time(r.run, budget).ms);
    r.dispose();
  }
}

if (process.env['BAS_BENCH_SKIP_UNET'] !== '1') {
  // whole steps, each backend in a child process of its own (peak RSS per row); the slow
  // reference backends run only the small UNet row
  for (const c of STEP_CASES) {
    for (const [impl, name] of backends) {
      if (c !== 'unet-b2' && name !== 'gpujs-webasm') continue;
      const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'step_child.ts'), name, c, String(budget * 2)], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { op: string; shape: string; ms: number; flops: number; peak_rss_mb: number } | { error: string };
      if ('error' in r) {
        notes.push(r.error);
        break;
      }
      row({ op: r.op, shape: r.shape, flops: r.flops }, impl, r.ms);
      rows[rows.length - 1]!.peak_rss_mb = Math.round(r.peak_rss_mb);
    }
  }
  // PyTorch on the same machine in the same run, where it is importable: the anchor of issue 11
  for (const threads of [1, 2]) {
    const r = await torchUnetRow(16, threads);
    if (typeof r === 'string') {
      notes.push(`pytorch row skipped: ${r}`);
      break;
    }
    const flops = unetFlops(unetConfig('default'), 16, { seq_len: 24 }).forward_backward;
    row({ op: 'unet', shape: 'default 16x3x32x32, 24 tokens, fwd+bwd', flops }, `pytorch-${r.torch}-${threads}t`, r.ms);
    if (threads === 1) notes.push(`pytorch: torch ${r.torch}, attention ${r.attn}, BLAS ${r.blas} (${r.python})`);
  }
}

printTable(rows, notes);
const out = join(here, 'results.json');
writeFileSync(out, JSON.stringify(rows, null, 2) + '\n');
console.log(`\nwrote ${out} (${rows.length} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
