// Exponential moving average of the weights, for sampling (as diffusers' EMAModel): shadow =
// d * shadow + (1 - d) * param after every optimizer step, with the warm-up decay
// d = min(decay, (1 + step) / (10 + step)) so early shadows are not dominated by the random init.
import type { Tensor, TypedArray } from '../../core/index.js';

export class EMA {
  readonly shadow: Float32Array[];
  step = 0;

  constructor(
    readonly params: readonly Tensor[],
    readonly decay = 0.999,
  ) {
    this.shadow = params.map((p) => Float32Array.from(p.data));
  }

  currentDecay(): number {
    return Math.min(this.decay, (1 + this.step) / (10 + this.step));
  }

  update(): void {
    const d = this.currentDecay();
    this.params.forEach((p, i) => {
      const s = this.shadow[i]!;
      const v = p.data;
      for (let j = 0; j < s.length; j++) s[j] = d * s[j]! + (1 - d) * v[j]!;
    });
    this.step++;
  }

  /** Runs `fn` with the EMA weights in the parameters, then puts the trained weights back. */
  withWeights<T>(fn: () => T): T {
    const saved: TypedArray[] = this.params.map((p) => p.data.slice());
    this.params.forEach((p, i) => p.assign_(this.shadow[i]!.slice()));
    try {
      return fn();
    } finally {
      this.params.forEach((p, i) => p.assign_(saved[i]!));
    }
  }

  load(shadow: readonly Float32Array[], step: number): void {
    if (shadow.length !== this.shadow.length) throw new Error(`EMA state has ${shadow.length} tensors, the model ${this.shadow.length}`);
    shadow.forEach((s, i) => {
      if (s.length !== this.shadow[i]!.length) throw new Error(`EMA tensor ${i} has ${s.length} values, the parameter ${this.shadow[i]!.length}`);
      this.shadow[i]!.set(s);
    });
    this.step = step;
  }
}
