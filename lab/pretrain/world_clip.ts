// A CLIP for the synthetic world: the base model's text encoder, trained first with a small image
// encoder on the world's (image, caption) pairs by CLIP's contrastive objective, so that its token
// states tell every colour and shape word apart before the UNet ever reads them (Stable Diffusion
// starts from a pretrained CLIP for the same reason). The image side also scores captions against
// pictures, a CLIP-score for the world.
import { add, div, exp, log_softmax, matmul, mean, mul, silu, sqrt, sum, tensor, transpose, type Tensor } from '../../core/index.js';
import type { CLIPTextModel } from '../../nn/clip/text_model.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { GroupNorm } from '../../nn/layers/norm.js';
import { Module, ModuleList, type ModuleOptions } from '../../nn/module.js';

export interface WorldCLIPConfig {
  /** Channels of the image encoder's stages (each halves the side). */
  image_channels: readonly number[];
  /** Width of the shared embedding space. */
  projection_dim: number;
  /** CLIP's initial temperature: logit_scale = log(1 / 0.07). */
  logit_scale_init_value: number;
}

export const WORLD_CLIP_CONFIG: WorldCLIPConfig = { image_channels: [32, 64, 64, 128], projection_dim: 64, logit_scale_init_value: Math.log(1 / 0.07) };

/** conv_in, then GroupNorm-SiLU-conv stages of stride 2, mean over the image, a projection. */
export class WorldImageEncoder extends Module {
  readonly conv_in: Conv2d;
  readonly norms: ModuleList<GroupNorm>;
  readonly convs: ModuleList<Conv2d>;
  readonly norm_out: GroupNorm;
  readonly projection: Linear;

  constructor(c: WorldCLIPConfig, opts: ModuleOptions = {}) {
    super();
    const ch = c.image_channels;
    this.conv_in = this.add_module('conv_in', new Conv2d(3, ch[0]!, 3, { ...opts, padding: 1 }));
    const stages = ch.slice(1).map((out, i) => ({ inp: ch[i]!, out }));
    this.norms = this.add_module('norms', new ModuleList(stages.map((s) => new GroupNorm(8, s.inp, opts))));
    this.convs = this.add_module('convs', new ModuleList(stages.map((s) => new Conv2d(s.inp, s.out, 3, { ...opts, stride: 2, padding: 1 }))));
    this.norm_out = this.add_module('norm_out', new GroupNorm(8, ch[ch.length - 1]!, opts));
    this.projection = this.add_module('projection', new Linear(ch[ch.length - 1]!, c.projection_dim, { ...opts, bias: false }));
  }

  /** pixels (B, 3, H, W) in [-1, 1] -> (B, projection_dim). */
  forward(pixels: Tensor): Tensor {
    let h = this.conv_in.forward(pixels);
    this.convs.map((conv, i) => {
      h = conv.forward(silu(this.norms.at(i).forward(h)));
    });
    h = silu(this.norm_out.forward(h));
    return this.projection.forward(mean(h, [2, 3]));
  }
}

/** The image encoder, the text side's projection and the temperature; the text encoder is held apart. */
export class WorldCLIP extends Module {
  readonly vision_model: WorldImageEncoder;
  readonly text_projection: Linear;
  readonly logit_scale: Tensor;

  constructor(
    readonly config: WorldCLIPConfig,
    text_hidden_size: number,
    opts: ModuleOptions = {},
  ) {
    super();
    this.vision_model = this.add_module('vision_model', new WorldImageEncoder(config, opts));
    this.text_projection = this.add_module('text_projection', new Linear(text_hidden_size, config.projection_dim, { ...opts, bias: false }));
    this.logit_scale = this.register_parameter('logit_scale', tensor([config.logit_scale_init_value], { dtype: opts.dtype }));
  }

  /** (B, projection_dim) caption embeddings: the text encoder's eos state, projected (transformers' CLIPModel). */
  textEmbeds(text_encoder: CLIPTextModel, ids: number[][]): Tensor {
    return this.text_projection.forward(text_encoder.forward(ids).pooler_output);
  }

  /** (B_images, B_texts) cosine similarities times exp(logit_scale), capped at 100 as CLIP does. */
  logits(image_embeds: Tensor, text_embeds: Tensor): Tensor {
    // the cap is a constant where it binds; below it the temperature learns through exp()
    const s = Math.exp(this.logit_scale.item()) < 100 ? exp(this.logit_scale) : tensor([100], { dtype: this.logit_scale.dtype });
    return mul(matmul(l2normalize(image_embeds), transpose(l2normalize(text_embeds), 0, 1)), s);
  }
}

function l2normalize(x: Tensor): Tensor {
  return div(x, sqrt(sum(mul(x, x), [-1], true)));
}

/**
 * CLIP's symmetric cross-entropy over a batch's image-caption logits (B, B). Captions repeat in the
 * world ("a photo of a red circle" is one of 64 such), so the target of a row is spread evenly over
 * every column whose caption equals its own, instead of treating a repeat as a negative.
 */
export function clipLoss(logits: Tensor, captions: readonly string[]): Tensor {
  const b = captions.length;
  const t = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    const same = captions.filter((c) => c === captions[i]).length;
    for (let j = 0; j < b; j++) t[i * b + j] = captions[i] === captions[j] ? 1 / same : 0;
  }
  // the target matrix is symmetric, so one serves both directions
  const target = tensor(t, { shape: [b, b], dtype: logits.dtype });
  const imageToText = sum(mul(target, log_softmax(logits, -1)));
  const textToImage = sum(mul(target, log_softmax(transpose(logits, 0, 1), -1)));
  return mul(add(imageToText, textToImage), -0.5 / b);
}
