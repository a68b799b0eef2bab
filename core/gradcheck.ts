// gradcheck, as torch.autograd.gradcheck: analytic gradients (backward) against central
// differences, in float64, for every input that requires grad. The report names the worst element.
import { HostStorage } from '../kernels/index.js';
import { no_grad } from './grad_mode.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw a GradcheckError with the report on mismatch (default true). */
  raise_exception?: boolean;
  /**
   * Check v^T J against finite differences of v^T f for one random v instead of the full
   * Jacobian: one backward pass instead of one per output element. Default: only when the
   * output has more than 64 elements.
   */
  fast_mode?: boolean;
  /** Seed of the random v in fast mode. */
  seed?: number;
  /**
   * Per input, the flat entries to perturb (default: all of them). A check of a large parameter
   * (a UNet weight) samples a few entries: two evaluations each instead of two per element.
   */
  indices?: readonly (readonly number[] | undefined)[];
  /** Keep every checked entry in `report.entries` (for a per-parameter table); default false. */
  keep_entries?: boolean;
}

/** One checked (input entry, output) pair, kept when `keep_entries` is set. */
export interface GradcheckEntry extends GradcheckWorst {
  absError: number;
  ok: boolean;
}

export interface GradcheckWorst {
  /** Which input (position in `inputs`). */
  input: number;
  /** Flat index within that input. */
  index: number;
  /** Flat index within the output (full mode), or -1 for the projected check (fast mode). */
  output: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckReport {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** The element whose |analytic - numeric| exceeds atol + rtol |numeric| by the most. */
  worst: GradcheckWorst | null;
  checked: number;
  mode: 'full' | 'fast';
  /** Every checked entry in order, when `keep_entries` was set; empty otherwise. */
  entries: GradcheckEntry[];
  toString(): string;
}

export class GradcheckError extends Error {
  constructor(readonly report: GradcheckReport) {
    super(`gradcheck failed: ${report.toString()}`);
    this.name = 'GradcheckError';
  }
}

type Fn = (...inputs: Tensor[]) => Tensor;

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** A tiny deterministic LCG for the projection vector, so gradcheck does not touch user RNG state. */
function projection(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296) * 2 - 1;
  }
  return v;
}

export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  inputs.forEach((t, i) => {
    if (t.requires_grad && t.dtype !== 'float64') {
      throw new Error(`gradcheck: input ${i} is ${t.dtype}; checks need float64 (finite differences in float32 are too coarse to mean anything)`);
    }
    if (t.requires_grad && !t.is_leaf) throw new Error(`gradcheck: input ${i} must be a leaf tensor`);
    for (const k of opts.indices?.[i] ?? []) {
      if (!(Number.isInteger(k) && k >= 0 && k < t.size)) throw new RangeError(`gradcheck: index ${k} of input ${i} is outside its ${t.size} entries`);
    }
  });
  const probe = no_grad(() => fn(...inputs));
  if (probe.dtype !== 'float64') throw new Error(`gradcheck: the function returned ${probe.dtype}; it must compute in float64`);
  const nOut = probe.size;
  const fast = opts.fast_mode ?? nOut > 64;
  const v = fast ? projection(nOut, opts.seed ?? 0x5eed) : null;

  // analytic rows: d(out_j)/d(inputs), one backward per output element, or one for v^T J
  const outRows = fast ? 1 : nOut;
  const analytic: (Float64Array | null)[][] = [];
  for (let j = 0; j < outRows; j++) {
    for (const t of inputs) t.grad = null;
    const out = fn(...inputs);
    const seed = new Float64Array(nOut);
    if (v) seed.set(v);
    else seed[j] = 1;
    if (out.requires_grad) out.backward(new Tensor(new HostStorage(seed), out.shape));
    analytic.push(inputs.map((t) => (t.requires_grad ? Float64Array.from(t.grad ? t.grad.data : new Float64Array(t.size)) : null)));
  }
  for (const t of inputs) t.grad = null;

  let maxAbs = 0;
  let maxRel = 0;
  let worst: GradcheckWorst | null = null;
  let worstExcess = -Infinity;
  let checked = 0;
  const entries: GradcheckEntry[] = [];
  no_grad(() => {
    inputs.forEach((t, ti) => {
      if (!t.requires_grad) return;
      const data = t.data;
      for (const i of opts.indices?.[ti] ?? range(t.size)) {
        const orig = data[i]!;
        // copies: the output may share storage with the input (reshape, pow(x, 1), identity)
        data[i] = orig + eps;
        const plus = Float64Array.from(fn(...inputs).data);
        data[i] = orig - eps;
        const minus = Float64Array.from(fn(...inputs).data);
        data[i] = orig;
        for (let j = 0; j < outRows; j++) {
          let numeric: number;
          if (v) {
            numeric = 0;
            for (let o = 0; o < nOut; o++) numeric += (v[o]! * (plus[o]! - minus[o]!)) / (2 * eps);
          } else {
            numeric = (plus[j]! - minus[j]!) / (2 * eps);
          }
          const a = analytic[j]![ti]![i]!;
          const abs = Math.abs(a - numeric);
          const rel = abs / Math.max(Math.abs(numeric), 1e-12);
          const excess = Number.isNaN(abs) ? Infinity : abs - (atol + rtol * Math.abs(numeric));
          maxAbs = Math.max(maxAbs, Number.isNaN(abs) ? Infinity : abs);
          if (abs > atol) maxRel = Math.max(maxRel, rel);
          checked++;
          if (opts.keep_entries) entries.push({ input: ti, index: i, output: v ? -1 : j, analytic: a, numeric, absError: abs, ok: excess <= 0 });
          if (excess > worstExcess) {
            worstExcess = excess;
            worst = { input: ti, index: i, output: v ? -1 : j, analytic: a, numeric };
          }
        }
      }
    });
  });
  const ok = worstExcess <= 0 || checked === 0;
  const report: GradcheckReport = {
    ok,
    maxAbsError: maxAbs,
    maxRelError: maxRel,
    worst,
    checked,
    mode: fast ? 'fast' : 'full',
    entries,
    toString() {
      const w = this.worst;
      const where = w ? ` worst at input ${w.input}, index ${w.index}${w.output >= 0 ? `, output ${w.output}` : ''}: analytic ${w.analytic.toPrecision(8)} vs numeric ${w.numeric.toPrecision(8)}` : '';
      return `${this.ok ? 'ok' : 'MISMATCH'} (${this.mode}, ${this.checked} entries, eps ${eps}, atol ${atol}, rtol ${rtol}): max abs error ${this.maxAbsError.toExponential(3)}, max rel error ${this.maxRelError.toExponential(3)};${where}`;
    },
  };
  if (!ok && (opts.raise_exception ?? true)) throw new GradcheckError(report);
  return report;
}
