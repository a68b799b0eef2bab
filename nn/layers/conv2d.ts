// torch.nn.Conv2d (NCHW, OIHW weights, no groups or dilation: the UNet needs neither), with
// PyTorch's padding_mode 'zeros' (the default) or 'circular'.
import { conv2d, get_default_dtype, pad_circular, type Tensor } from '../../core/index.js';
import { countFlops } from '../flops.js';
import { generatorOf, Module, type ModuleOptions } from '../module.js';
import { uniform } from './init.js';

export interface Conv2dOptions extends ModuleOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
  padding_mode?: PaddingMode;
}

/** What a conv reads past the border: zeros, or the opposite side of the image (no border at all). */
export const PADDING_MODES = ['zeros', 'circular'] as const;
export type PaddingMode = (typeof PADDING_MODES)[number];

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  /** settable, so a model can switch every conv at once (UNet2DConditionModel's conv_padding_mode) */
  padding_mode: PaddingMode;

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
    this.padding_mode = opts.padding_mode ?? 'zeros';
    const bound = 1 / Math.sqrt(in_channels * kernel_size * kernel_size);
    this.weight = this.register_parameter('weight', uniform([out_channels, in_channels, kernel_size, kernel_size], bound, g, dtype));
    this.bias = opts.bias ?? true ? this.register_parameter('bias', uniform([out_channels], bound, g, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    const y =
      this.padding_mode === 'circular' && this.padding > 0
        ? conv2d(pad_circular(x, this.padding), this.weight, this.bias, { stride: this.stride })
        : conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
    // one multiply-add per (output element, input channel, kernel tap)
    countFlops(2 * y.size * this.in_channels * this.kernel_size * this.kernel_size);
    return y;
  }
}
