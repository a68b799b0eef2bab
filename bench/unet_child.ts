// One backend's UNet row, in its own process so the peak RSS it reports is this row's alone:
// `tsx bench/unet_child.ts <backend> <budgetMs>` prints one JSON line {ms, flops, peak_rss_mb}.
// The first steps run cold (JIT tiers, wasm compiles, the helper worker starting: 2-3 steps on
// the fast backends, measured) while a training run does thousands, so the row warms up until a
// step is no longer 10% faster than the one before (at most 4 steps), then reports the median of
// at least 3 timed steps.
import { setBackend, tidy } from '../kernels/index.js';
import { time } from './timing.js';
import { unetRunner } from './unet.js';

const [backend = 'cpu', budget = '800'] = process.argv.slice(2);
setBackend(backend);
const u = await unetRunner();
if (typeof u === 'string') {
  console.log(JSON.stringify({ error: u }));
  process.exit(0);
}
const step = (): void => tidy(u.run);
for (let i = 0, prev = Infinity; i < 4; i++) {
  const s = performance.now();
  step();
  const t = performance.now() - s;
  if (t > 0.9 * prev) break;
  prev = t;
}
const t = time(step, Number(budget), 3, 7);
console.log(JSON.stringify({ ms: t.ms, flops: u.flops, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
