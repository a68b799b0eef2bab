// Prompt-to-prompt's attention controllers, as Break-A-Scene uses them. Every attention layer of the
// UNet calls the controller once per forward pass, right after softmax(QK^T * scale); after
// `num_att_layers` calls a diffusion "step" ends (`between_steps`).
import type { Tensor } from '../../core/index.js';

export type PlaceInUnet = 'down' | 'mid' | 'up';
export type StoreKey = `${PlaceInUnet}_${'cross' | 'self'}`;

export abstract class AttentionControl {
  cur_step = 0;
  cur_att_layer = 0;
  /** Set by register_attention_control: how many processors call this controller per pass. */
  num_att_layers = -1;

  /** What to do with one layer's attention probabilities, (batch * heads, pixels, tokens); `layer` names the layer ('' when unnamed). */
  abstract forward(attn: Tensor, is_cross: boolean, place_in_unet: PlaceInUnet, layer?: string): Tensor;

  between_steps(): void {}

  /** Called by each P2PCrossAttnProcessor; returns the probabilities to multiply into V. */
  call(attn: Tensor, is_cross: boolean, place_in_unet: PlaceInUnet, layer = ''): Tensor {
    if (this.num_att_layers <= 0) throw new Error('controller has no registered layers: call register_attention_control(unet, controller) first');
    const out = this.forward(attn, is_cross, place_in_unet, layer);
    this.cur_att_layer += 1;
    if (this.cur_att_layer === this.num_att_layers) {
      this.cur_att_layer = 0;
      this.cur_step += 1;
      this.between_steps();
    }
    return out;
  }

  reset(): void {
    this.cur_step = 0;
    this.cur_att_layer = 0;
  }
}
