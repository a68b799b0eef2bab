// One whole-step row, in its own process so the peak RSS it reports is this row's alone:
// `tsx bench/step_child.ts <backend> <case> <budgetMs>` prints one JSON line
// {op, shape, ms, flops, peak_rss_mb} or {error}. The first steps run cold (JIT tiers, wasm
// compiles, the helper worker starting: 2-3 steps on the fast backends, measured) while a training
// run does thousands, so the row warms up until a step is no longer 10% faster than the one before
// (at most 4 steps), then reports the median of at least 3 timed steps.
import { setBackend, tidy } from '../kernels/index.js';
import { STEP_CASES, stepRunner, type StepCase } from './steps.js';
import { time } from './timing.js';

const [backend = 'cpu', name = 'unet-b2', budget = '800'] = process.argv.slice(2);
if (!STEP_CASES.includes(name as StepCase)) throw new Error(`unknown step case "${name}"; cases: ${STEP_CASES.join(', ')}`);
setBackend(backend);
const u = await stepRunner(name as StepCase);
if (typeof u === 'string') {
  console.log(JSON.stringify({ error: u }));
  process.exit(0);
}
let ms: number;
if (u.measure) ms = await u.measure();
else {
  const run = u.run!;
  const step = (): void => tidy(run);
  for (let i = 0, prev = Infinity; i < 4; i++) {
    const s = performance.now();
    step();
    const t = performance.now() - s;
    if (t > 0.9 * prev) break;
    prev = t;
  }
  ms = time(step, Number(budget), 3, 7).ms;
}
console.log(JSON.stringify({ op: u.op, shape: u.shape, ms, flops: u.flops, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
