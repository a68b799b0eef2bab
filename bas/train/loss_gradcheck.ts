// Gradient check of the whole Break-A-Scene loss (masked diffusion + attention loss through a UNet
// and a text encoder, in float64): the analytic gradient of chosen parameter entries against
// central differences. Entries are sampled per parameter, so every kind of weight is covered
// without perturbing thousands of them.
import { no_grad, type Generator, type Tensor } from '../../core/index.js';

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
 * `loss()` must be a deterministic float64 scalar function of the parameters. Runs one backward for
 * the analytic gradients, then two loss evaluations per checked entry.
 */
export function gradcheckEntries(
  loss: () => Tensor,
  params: readonly { name: string; tensor: Tensor; indices: readonly number[] }[],
  opts: LossGradcheckOptions = {},
): ParamCheckRow[] {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  for (const p of params) {
    if (p.tensor.dtype !== 'float64') throw new Error(`gradcheck: ${p.name} is ${p.tensor.dtype}; the check runs in float64`);
    p.tensor.grad = null;
  }
  const l = loss();
  if (l.dtype !== 'float64' || l.size !== 1) throw new Error('gradcheck: the loss must be a float64 scalar');
  l.backward();
  const analytic = params.map((p) => (p.tensor.grad ? Float64Array.from(p.tensor.grad.data) : new Float64Array(p.tensor.size)));
  return no_grad(() =>
    params.map((p, pi) => {
      const data = p.tensor.data;
      const entries = p.indices.map((index): EntryCheck => {
        const orig = data[index]!;
        data[index] = orig + eps;
        const plus = loss().item();
        data[index] = orig - eps;
        const minus = loss().item();
        data[index] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[pi]![index]!;
        const absError = Math.abs(a - numeric);
        return { name: p.name, index, analytic: a, numeric, absError, ok: absError <= atol + rtol * Math.abs(numeric) };
      });
      const maxAbsError = Math.max(0, ...entries.map((e) => e.absError));
      const maxRelError = Math.max(0, ...entries.map((e) => e.absError / Math.max(Math.abs(e.numeric), 1e-12)));
      return { name: p.name, shape: p.tensor.shape, entries, maxAbsError, maxRelError, ok: entries.every((e) => e.ok) };
    }),
  );
}

export function formatGradcheckTable(rows: readonly ParamCheckRow[]): string {
  const head = ['parameter', 'shape', 'entries', 'max abs error', 'max rel error', 'ok'];
  const body = rows.map((r) => [r.name, `[${r.shape.join(', ')}]`, String(r.entries.length), r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.ok ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
