// torch.nn.Linear: y = x W^T + b, W (out_features, in_features).
import { get_default_dtype, linear, type Tensor } from '../../core/index.js';
import { countFlops } from '../flops.js';
import { generatorOf, Module, type ModuleOptions } from '../module.js';
import { constant, normal, uniform } from './init.js';

export interface LinearOptions extends ModuleOptions {
  bias?: boolean;
  /** transformers-style init: weight ~ N(0, std^2), bias 0 (default: torch's uniform init). */
  weight_std?: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly in_features: number,
    readonly out_features: number,
    opts: LinearOptions = {},
  ) {
    super();
    const g = generatorOf(opts);
    const dtype = opts.dtype ?? get_default_dtype();
    const bound = 1 / Math.sqrt(in_features);
    const std = opts.weight_std;
    const w = std === undefined ? uniform([out_features, in_features], bound, g, dtype) : normal([out_features, in_features], std, g, dtype);
    this.weight = this.register_parameter('weight', w);
    const b = (): Tensor => (std === undefined ? uniform([out_features], bound, g, dtype) : constant([out_features], 0, dtype));
    this.bias = opts.bias ?? true ? this.register_parameter('bias', b()) : null;
  }

  forward(x: Tensor): Tensor {
    countFlops(2 * x.size * this.out_features);
    return linear(x, this.weight, this.bias);
  }
}
