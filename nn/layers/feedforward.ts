// diffusers' GEGLU and FeedForward (the MLP of a BasicTransformerBlock): net.0 = GEGLU,
// net.1 = Dropout, net.2 = Linear, so the keys read `ff.net.0.proj.weight`, `ff.net.2.weight`.
import { chunk, gelu, mul, type Tensor } from '../../core/index.js';
import { Module, ModuleList, type ModuleOptions } from '../module.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';

/** proj: dim_in -> 2 dim_out; the first half gated by the exact (erf) gelu of the second. */
export class GEGLU extends Module {
  readonly proj: Linear;

  constructor(dim_in: number, dim_out: number, opts: ModuleOptions = {}) {
    super();
    this.proj = this.add_module('proj', new Linear(dim_in, dim_out * 2, opts));
  }

  forward(x: Tensor): Tensor {
    const [h, gate] = chunk(this.proj.forward(x), 2, -1) as [Tensor, Tensor];
    return mul(h, gelu(gate));
  }
}

export interface FeedForwardOptions extends ModuleOptions {
  dim_out?: number;
  mult?: number;
  dropout?: number;
  activation_fn?: 'geglu';
  final_dropout?: boolean;
}

export class FeedForward extends Module {
  readonly net: ModuleList;
  private readonly steps: ((x: Tensor) => Tensor)[];

  constructor(dim: number, opts: FeedForwardOptions = {}) {
    super();
    const inner = dim * (opts.mult ?? 4);
    const act = opts.activation_fn ?? 'geglu';
    if (act !== 'geglu') throw new Error(`FeedForward: activation_fn "${String(act)}" is not supported (only geglu)`);
    const geglu = new GEGLU(dim, inner, opts);
    const drop = new Dropout(opts.dropout ?? 0);
    const out = new Linear(inner, opts.dim_out ?? dim, opts);
    this.net = this.add_module('net', new ModuleList<Module>([geglu, drop, out]));
    this.steps = [(x) => geglu.forward(x), (x) => drop.forward(x), (x) => out.forward(x)];
    if (opts.final_dropout) {
      const fd = new Dropout(opts.dropout ?? 0);
      this.net.push(fd);
      this.steps.push((x) => fd.forward(x));
    }
  }

  forward(x: Tensor): Tensor {
    return this.steps.reduce((h, f) => f(h), x);
  }
}
