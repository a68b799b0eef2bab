// A Profiler report as the tables a reader works down: the step's split (kernels, outside kernels,
// GC), then kernels and ops by time, each with its share of the step.
import type { ProfileReport } from './profiler.js';

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map((r) => line(r.map(String)))].join('\n');
}

const f1 = (x: number): string => x.toFixed(1);
const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(1)}%`;

/** `steps` divides every figure, for a report that covered several steps. */
export function formatProfile(r: ProfileReport, opts: { steps?: number; top?: number } = {}): string {
  const n = opts.steps ?? 1;
  const top = opts.top ?? 20;
  const wall = r.wall_ms / n;
  const outside = (r.wall_ms - r.kernel_ms) / n;
  const gc = r.gc_ms === null ? 'not reported here' : `${f1(r.gc_ms / n)} ms in ${f1((r.gc_count ?? 0) / n)} pauses (${pct(r.gc_ms, r.wall_ms)})`;
  const out: string[] = [
    `per step: ${f1(wall)} ms; in kernels ${f1(r.kernel_ms / n)} ms (${pct(r.kernel_ms, r.wall_ms)}); ` +
      `outside kernels ${f1(outside)} ms (${pct(r.wall_ms - r.kernel_ms, r.wall_ms)}); GC ${gc}`,
    '',
  ];
  const ks = r.kernels.slice(0, top).map((k) => [
    k.kernel, k.phase, f1(k.calls / n), f1(k.ms / n), pct(k.ms, r.wall_ms),
    k.flops > 0 ? f1(k.flops / k.ms / 1e6) : '', f1(k.bytes / n / 2 ** 20),
  ]);
  const kRest = r.kernels.slice(top).reduce((a, k) => a + k.ms, 0);
  if (kRest > 0) ks.push(['(the rest)', '', '', f1(kRest / n), pct(kRest, r.wall_ms), '', '']);
  out.push(table(['kernel', 'phase', 'calls', 'ms', 'share', 'GFLOP/s', 'MiB out'], ks), '');
  const os = r.ops.slice(0, top).map((o) => [
    o.op, o.phase, f1(o.calls / n), f1(o.ms / n), pct(o.ms, r.wall_ms), f1(o.kernel_ms / n), f1((o.ms - o.kernel_ms) / n),
  ]);
  const oRest = r.ops.slice(top).reduce((a, o) => a + o.ms, 0);
  if (oRest > 0) os.push(['(the rest)', '', '', f1(oRest / n), pct(oRest, r.wall_ms), '', '']);
  out.push(table(['op (backward: its graph node)', 'phase', 'calls', 'ms', 'share', 'in kernels', 'outside'], os));
  return out.join('\n');
}
