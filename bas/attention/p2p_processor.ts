// P2PCrossAttnProcessor: diffusers' default attention processor plus one call, the controller's,
// on the attention probabilities right after softmax(Q K^T * scale) and before probs @ V. It is the
// default processor (nn/attention_processor.ts) with that one step, `attend`, overridden.
import type { Tensor } from '../../core/index.js';
import { AttnProcessor, type Attention } from '../../nn/attention_processor.js';
import type { AttentionControl, PlaceInUnet } from './attention_control.js';

export class P2PCrossAttnProcessor extends AttnProcessor {
  /** `layer` is the layer's name in diffusers' terms (`up_blocks.1.attentions.0.transformer_blocks.0.attn2`). */
  constructor(
    readonly controller: AttentionControl,
    readonly place_in_unet: PlaceInUnet,
    readonly layer = '',
  ) {
    super();
  }

  /** The one line Break-A-Scene adds: the controller sees (and may replace) the probabilities. */
  override attend(_attn: Attention, probs: Tensor, is_cross: boolean): Tensor {
    return this.controller.call(probs, is_cross, this.place_in_unet, this.layer);
  }
}
