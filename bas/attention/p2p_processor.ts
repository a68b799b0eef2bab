// P2PCrossAttnProcessor: diffusers' default attention processor plus one call, the controller's,
// on the attention probabilities right after softmax(Q K^T * scale) and before probs @ V.
import { bmm, reshape, transpose, type Tensor } from '../../core/index.js';
import type { Attention, AttentionProcessor } from '../../nn/attention_processor.js';
import type { AttentionControl, PlaceInUnet } from './attention_control.js';

export class P2PCrossAttnProcessor implements AttentionProcessor {
  /** `layer` is the layer's name in diffusers' terms (`up_blocks.1.attentions.0.transformer_blocks.0.attn2`). */
  constructor(
    readonly controller: AttentionControl,
    readonly place_in_unet: PlaceInUnet,
    readonly layer = '',
  ) {}

  call(attn: Attention, hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null): Tensor {
    let x = hidden_states;
    const spatial = x.ndim === 4;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    if (spatial) x = transpose(reshape(x, [b, c, h * w]), 1, 2);
    const is_cross = encoder_hidden_states != null;
    const context = encoder_hidden_states ?? x;
    const mask = attn.prepare_attention_mask(attention_mask, context.dim(1), context.dim(0));

    const query = attn.head_to_batch_dim(attn.to_q.forward(x));
    const key = attn.head_to_batch_dim(attn.to_k.forward(context));
    const value = attn.head_to_batch_dim(attn.to_v.forward(context));

    let probs = attn.get_attention_scores(query, key, mask);
    // the one line Break-A-Scene adds: the controller sees (and may replace) the probabilities
    probs = this.controller.call(probs, is_cross, this.place_in_unet, this.layer);

    let out = attn.batch_to_head_dim(bmm(probs, value));
    out = attn.out_dropout.forward(attn.out_proj.forward(out));
    return spatial ? reshape(transpose(out, 1, 2), [b, c, h, w]) : out;
  }
}
