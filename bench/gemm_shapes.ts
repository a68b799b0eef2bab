// Which GEMM kernel calls a training step makes, and how fast each runs: `npx tsx
// bench/gemm_shapes.ts [case]` (a bench/steps.ts case, unet-b16 by default) wraps Engine.run, runs
// two warm-up steps and one timed step, and prints the time inside the kernel calls against the
// step's, then the calls grouped by their arguments (panels, k, segments, products, strides),
// slowest total first. What is not inside a kernel call is the copying in and out around it.
import { Engine, type Job } from '../kernels/simd/gemm.js';
import { setBackend, tidy } from '../kernels/index.js';
import { STEP_CASES, stepRunner, type StepCase } from './steps.js';

const name = (process.argv[2] ?? 'unet-b16') as StepCase;
if (!STEP_CASES.includes(name)) throw new Error(`unknown step case "${name}"; cases: ${STEP_CASES.join(', ')}`);
const calls = new Map<string, { ms: number; macs: number; calls: number }>();
let recording = false;
const run = Engine.prototype.run;
Engine.prototype.run = function (this: Engine, job: Job): void {
  const start = performance.now();
  run.call(this, job);
  if (!recording) return;
  const key = `mp ${job.mp} np ${job.np} k ${job.k} segs ${job.segs.length} products ${job.entries.length} aRow ${job.aRow} aStep ${job.aStep} bStep ${job.bStep}`;
  const c = calls.get(key) ?? { ms: 0, macs: 0, calls: 0 };
  c.ms += performance.now() - start;
  c.macs += job.mp * 4 * job.np * 8 * job.k * job.segs.length * job.entries.length;
  c.calls++;
  calls.set(key, c);
};
setBackend('gpujs-webasm');
const u = await stepRunner(name);
if (typeof u === 'string' || !u.run) throw new Error(typeof u === 'string' ? u : `${name} has no single step to run`);
const step = u.run;
tidy(step);
tidy(step);
recording = true;
const start = performance.now();
tidy(step);
const total = performance.now() - start;
const rows = [...calls.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernel = rows.reduce((s, [, c]) => s + c.ms, 0);
console.log(`${name}: step ${total.toFixed(0)} ms, inside kernel calls ${inKernel.toFixed(0)} ms`);
for (const [key, c] of rows.slice(0, 30)) {
  console.log(`${c.ms.toFixed(1).padStart(8)} ms ${(2 * c.macs / c.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s ${String(c.calls).padStart(4)} calls  ${key}`);
}
process.exit(0);
