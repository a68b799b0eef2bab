// Where the garbage collector's time goes in a training-shaped step: the `default` UNet forward +
// backward + an in-place parameter update, inside tidy() as the training loops run it, with
// Node's GC performance entries split by kind (major mark-compacts vs minor scavenges). Prints per
// step the wall time and the GC pauses, then the medians.
//   tsx bench/gc_step.ts [backend=gpujs-webasm] [batch=16] [steps=6]
import { constants, PerformanceObserver } from 'node:perf_hooks';
import * as core from '../core/index.js';
import * as kernels from '../kernels/index.js';
import { unetInputs } from './steps.js';

const [backend = 'gpujs-webasm', batchArg = '16', stepsArg = '6'] = process.argv.slice(2);
const batch = Number(batchArg);
const steps = Number(stepsArg);
if (!Number.isInteger(batch) || batch < 1) throw new Error(`gc_step: batch must be a positive integer, got "${batchArg}"`);
if (!Number.isInteger(steps) || steps < 2) throw new Error(`gc_step: steps must be an integer of at least 2, got "${stepsArg}"`);
core.setBackend(backend);

const gc = { major: 0, majorMs: 0, minor: 0, minorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.major++;
      gc.majorMs += e.duration;
    } else {
      gc.minor++;
      gc.minorMs += e.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

const { model, sample, ctx, timesteps } = unetInputs(batch);
const params = model.parameters();

const rows: { ms: number; gcMs: number; major: number; minor: number }[] = [];
for (let s = 0; s < steps; s++) {
  const before = { ...gc };
  const t0 = performance.now();
  core.tidy(() => {
    model.zero_grad();
    const out = model.forward(sample, timesteps, ctx).sample;
    core.mean(core.mul(out, out)).backward();
    // a plain SGD update in place, as an optimizer step replaces every parameter
    core.no_grad(() => params.forEach((p) => p.assign_(core.sub(p, core.mul(p.grad!, 1e-4)))));
  });
  // let the observer's entries of this step arrive
  await new Promise((r) => setTimeout(r, 0));
  const ms = performance.now() - t0;
  const row = { ms, gcMs: gc.majorMs + gc.minorMs - before.majorMs - before.minorMs, major: gc.major - before.major, minor: gc.minor - before.minor };
  rows.push(row);
  console.log(`step ${s + 1}: ${ms.toFixed(0)} ms, GC ${row.gcMs.toFixed(0)} ms (${row.major} major, ${row.minor} minor)`);
}
const warm = rows.slice(1);
const med = (f: (r: (typeof rows)[number]) => number): number => warm.map(f).sort((a, b) => a - b)[Math.floor(warm.length / 2)]!;
console.log(JSON.stringify({ backend, batch, steps: warm.length, ms: Math.round(med((r) => r.ms)), gc_ms: Math.round(med((r) => r.gcMs)), gc_share: +(med((r) => r.gcMs / r.ms)).toFixed(3), major: med((r) => r.major), minor: med((r) => r.minor), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), ...('poolStats' in kernels ? { pool: (kernels as unknown as { poolStats: () => unknown }).poolStats() } : {}) }));
process.exit(0);
