// torch.nn.GroupNorm and torch.nn.LayerNorm (affine weight 1, bias 0 at init).
import { get_default_dtype, group_norm, layer_norm, type Tensor } from '../../core/index.js';
import { Module, type ModuleOptions } from '../module.js';
import { constant } from './init.js';

export interface GroupNormOptions extends ModuleOptions {
  eps?: number;
  affine?: boolean;
}

export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly num_groups: number,
    readonly num_channels: number,
    opts: GroupNormOptions = {},
  ) {
    super();
    if (num_channels % num_groups !== 0) throw new Error(`GroupNorm: ${num_channels} channels do not split into ${num_groups} groups`);
    const dtype = opts.dtype ?? get_default_dtype();
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.register_parameter('weight', constant([num_channels], 1, dtype)) : null;
    this.bias = affine ? this.register_parameter('bias', constant([num_channels], 0, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    return group_norm(x, this.num_groups, this.weight, this.bias, this.eps);
  }
}

export interface LayerNormOptions extends ModuleOptions {
  eps?: number;
  elementwise_affine?: boolean;
  bias?: boolean;
}

export class LayerNorm extends Module {
  readonly normalized_shape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalized_shape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalized_shape = typeof normalized_shape === 'number' ? [normalized_shape] : [...normalized_shape];
    const dtype = opts.dtype ?? get_default_dtype();
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwise_affine ?? true;
    this.weight = affine ? this.register_parameter('weight', constant(this.normalized_shape, 1, dtype)) : null;
    this.bias = affine && (opts.bias ?? true) ? this.register_parameter('bias', constant(this.normalized_shape, 0, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    return layer_norm(x, this.normalized_shape, this.weight, this.bias, this.eps);
  }
}
