// FLOPs of one UNet forward, counted by the layers themselves (see ../flops.ts) on a real run.
import { no_grad, tidy, zeros } from '../../core/index.js';
import { countingFlops } from '../flops.js';
import { resolveUNetConfig, UNet2DConditionModel, type UNet2DConditionConfigInput } from './unet_2d_condition.js';

export interface UNetFlops {
  /** conv, linear and attention-product FLOPs of one forward pass. */
  forward: number;
  /** The usual estimate, 3x forward: backward computes two products for every forward one. */
  forward_backward: number;
}

/** Builds the model from `config` and counts one forward on zeros of (batch, C, size, size). */
export function unetFlops(config: UNet2DConditionConfigInput, batch: number, opts: { seq_len?: number; sample_size?: number } = {}): UNetFlops {
  const c = resolveUNetConfig(config);
  const size = opts.sample_size ?? c.sample_size;
  if (size === null) throw new Error('unetFlops: the config has no sample_size; pass one');
  const cross = Array.isArray(c.cross_attention_dim) ? c.cross_attention_dim[0]! : c.cross_attention_dim;
  const model = new UNet2DConditionModel(c);
  // in a scope: the counting pass's activations are released now, not left to the collector
  const { flops } = countingFlops(() =>
    tidy(() => void no_grad(() => model.forward(zeros([batch, c.in_channels, size, size]), 0, zeros([batch, opts.seq_len ?? 24, cross])))),
  );
  return { forward: flops, forward_backward: 3 * flops };
}
