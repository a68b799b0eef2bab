// One backend's UNet row, in its own process so the peak RSS it reports is this row's alone:
// `tsx bench/unet_child.ts <backend> <budgetMs>` prints one JSON line {ms, flops, peak_rss_mb}.
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
const t = time(() => tidy(u.run), Number(budget), 2, 5);
console.log(JSON.stringify({ ms: t.ms, flops: u.flops, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
