// The side-by-side table: one line per (op, shape, impl), with the speed ratio against TF.js wasm
// on the same op and shape (x2.0 = twice as fast as TF.js wasm).
export interface Row {
  op: string;
  shape: string;
  impl: string;
  ms: number;
  gflops: number;
  /** Peak resident memory of the process that ran the row (UNet rows run in their own). */
  peak_rss_mb?: number;
}

export function printTable(rows: readonly Row[], notes: readonly string[]): void {
  const ref = new Map<string, number>();
  for (const r of rows) if (r.impl === 'tfjs-wasm') ref.set(`${r.op}|${r.shape}`, r.ms);
  const order = [...new Set(rows.map((r) => `${r.op}|${r.shape}`))];
  const header = ['op', 'shape', 'impl', 'ms', 'GFLOP/s', 'vs tfjs-wasm', 'peak RSS'];
  const lines: string[][] = [];
  for (const key of order) {
    for (const r of rows.filter((x) => `${x.op}|${x.shape}` === key)) {
      const base = ref.get(key);
      lines.push([r.op, r.shape, r.impl, r.ms.toFixed(2), r.gflops > 0 ? r.gflops.toFixed(2) : '-', base === undefined ? '-' : `x${(base / r.ms).toFixed(2)}`, r.peak_rss_mb === undefined ? '' : `${r.peak_rss_mb} MiB`]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]): string => l.map((v, i) => (i >= 3 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let prev = '';
  for (const l of lines) {
    const key = `${l[0]}|${l[1]}`;
    if (prev && key !== prev) console.log('');
    prev = key;
    console.log(fmt(l));
  }
  if (notes.length) console.log(`\n${notes.map((n) => `note: ${n}`).join('\n')}`);
  console.log('note: softmax GFLOP/s counts a nominal 5 flops per element');
}
