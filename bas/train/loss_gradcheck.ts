// Gradient check of the whole Break-A-Scene loss (masked diffusion + attention loss through a UNet
// and a text encoder, in float64): the analytic gradient of chosen parameter entries against
// central differences. Entries are sampled per parameter, so every kind of weight is covered
// without perturbing thousands of them.
import { gradcheck, type Generator, type GradcheckReport, type Tensor } from '../../core/index.js';

export interface EntryCheck {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
  absError: number;
  ok: boolean;
}

export interface ParamCheckRow {
  name: string;
  shape: readonly number[];
  entries: EntryCheck[];
  maxAbsError: number;
  maxRelError: number;
  ok: boolean;
}

/** The rows of the table, and core's report over every checked entry (its worst, its totals). */
export interface LossGradcheck {
  rows: ParamCheckRow[];
  report: GradcheckReport;
}

export interface LossGradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

/** Indices to check in a parameter: the given ones, or `count` distinct random ones. */
export function sampleIndices(size: number, count: number, gen: Generator): number[] {
  return gen.sample([...Array(size).keys()], Math.min(count, size)).sort((a, b) => a - b);
}

/**
 * `loss()` must be a deterministic float64 scalar function of the parameters. core's gradcheck does
 * the work (one backward for the analytic gradients, two loss evaluations per checked entry); this
 * groups its entries into one row per parameter.
 */
export function gradcheckEntries(
  loss: () => Tensor,
  params: readonly { name: string; tensor: Tensor; indices: readonly number[] }[],
  opts: LossGradcheckOptions = {},
): LossGradcheck {
  for (const p of params) {
    if (p.tensor.dtype !== 'float64') throw new Error(`gradcheck: ${p.name} is ${p.tensor.dtype}; the check runs in float64`);
    if (!p.tensor.requires_grad) throw new Error(`gradcheck: ${p.name} does not require grad, so it has no analytic gradient to check`);
  }
  const report = gradcheck(
    () => {
      const l = loss();
      if (l.dtype !== 'float64' || l.size !== 1) throw new Error('gradcheck: the loss must be a float64 scalar');
      return l;
    },
    params.map((p) => p.tensor),
    { ...opts, indices: params.map((p) => p.indices), keep_entries: true, fast_mode: false, raise_exception: false },
  );
  const rows = params.map((p, pi): ParamCheckRow => {
    const entries = report.entries
      .filter((e) => e.input === pi)
      .map((e): EntryCheck => ({ name: p.name, index: e.index, analytic: e.analytic, numeric: e.numeric, absError: e.absError, ok: e.ok }));
    const maxAbsError = Math.max(0, ...entries.map((e) => e.absError));
    const maxRelError = Math.max(0, ...entries.map((e) => e.absError / Math.max(Math.abs(e.numeric), 1e-12)));
    return { name: p.name, shape: p.tensor.shape, entries, maxAbsError, maxRelError, ok: entries.every((e) => e.ok) };
  });
  return { rows, report };
}

export function formatGradcheckTable(rows: readonly ParamCheckRow[]): string {
  const head = ['parameter', 'shape', 'entries', 'max abs error', 'max rel error', 'ok'];
  const body = rows.map((r) => [r.name, `[${r.shape.join(', ')}]`, String(r.entries.length), r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.ok ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
