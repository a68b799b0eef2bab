// torch.nn.Conv2d (NCHW, OIHW weights, no groups or dilation: the UNet needs neither).
import { conv2d, get_default_dtype, type Tensor } from '../../core/index.js';
import { countFlops } from '../flops.js';
import { generatorOf, Module, type ModuleOptions } from '../module.js';
import { uniform } from './init.js';

export interface Conv2dOptions extends ModuleOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly in_channels: number,
    readonly out_channels: number,
    readonly kernel_size: number,
    opts: Conv2dOptions = {},
  ) {
    super();
    const g = generatorOf(opts);
    const dtype = opts.dtype ?? get_default_dtype();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    const bound = 1 / Math.sqrt(in_channels * kernel_size * kernel_size);
    this.weight = this.register_parameter('weight', uniform([out_channels, in_channels, kernel_size, kernel_size], bound, g, dtype));
    this.bias = opts.bias ?? true ? this.register_parameter('bias', uniform([out_channels], bound, g, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    const y = conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
    // one multiply-add per (output element, input channel, kernel tap)
    countFlops(2 * y.size * this.in_channels * this.kernel_size * this.kernel_size);
    return y;
  }
}
