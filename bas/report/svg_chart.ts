// Line charts as SVG text, drawn by the project so a run's report needs no charting library:
// one or more named series over a shared x axis, with ticks, gridlines and a legend.

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite y values break the line instead of drawing it to infinity. */
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  width?: number;
  height?: number;
  /** Fixed y range (e.g. [0, 1] for IoU); the data's range by default. */
  yRange?: readonly [number, number];
}

/** Colour-blind-safe line colours (Okabe and Ito's palette), cycled. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** 1, 2 or 5 times a power of ten, so that about `count` ticks cover [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 260;
  const m = { left: 64, right: 16, top: 28, bottom: 44 };
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escape(o.title)}">`];
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escape(o.title)}</text>`);
  if (finite.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="#666">no data</text></svg>`);
    return parts.join('');
  }
  const xs = finite.map((p) => p[0]);
  const ys = finite.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  let [y0, y1] = o.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number): number => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<text x="${px(t).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#888"/>`);
  if (o.xLabel) parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${escape(o.xLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    // a gap (non-finite y) starts a new run of the path
    let d = '';
    let pen = 'M';
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = 'M';
        continue;
      }
      d += `${pen}${px(x).toFixed(1)},${py(Math.min(y1, Math.max(y0, y))).toFixed(1)}`;
      pen = 'L';
    }
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    parts.push(`<rect x="${m.left + 8 + i * 110}" y="${m.top + 6}" width="10" height="10" fill="${colour}"/>`);
    parts.push(`<text x="${m.left + 22 + i * 110}" y="${m.top + 15}" font-size="11">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
