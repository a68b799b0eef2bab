// diffusers' Attention with a swappable processor. The module owns the projections and the head
// bookkeeping; the processor owns the order of the computation, so Break-A-Scene can replace it
// with one that also hands the attention probabilities to a controller.
import { add, bmm, cat, index_select, matmul_nt, mul, permute, reshape, softmax, transpose, zeros, type Tensor } from '../core/index.js';
import { countFlops } from './flops.js';
import { Dropout } from './layers/dropout.js';
import { Linear } from './layers/linear.js';
import { Module, ModuleList, type ModuleOptions } from './module.js';

/** Called as diffusers calls a processor: processor(attn, hidden_states, encoder_hidden_states?, attention_mask?). */
export interface AttentionProcessor {
  call(attn: Attention, hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null): Tensor;
}

export interface AttentionOptions extends ModuleOptions {
  /** Width of encoder_hidden_states (keys/values); defaults to query_dim (self-attention). */
  cross_attention_dim?: number | null;
  heads?: number;
  dim_head?: number;
  dropout?: number;
  /** Bias of to_q/to_k/to_v (false in the UNet). */
  bias?: boolean;
  out_bias?: boolean;
  residual_connection?: boolean;
  rescale_output_factor?: number;
  processor?: AttentionProcessor;
}

export class Attention extends Module {
  readonly query_dim: number;
  readonly cross_attention_dim: number;
  readonly heads: number;
  readonly dim_head: number;
  readonly inner_dim: number;
  readonly scale: number;
  readonly is_cross_attention: boolean;
  readonly residual_connection: boolean;
  readonly rescale_output_factor: number;
  readonly to_q: Linear;
  readonly to_k: Linear;
  readonly to_v: Linear;
  readonly to_out: ModuleList;
  readonly out_proj: Linear;
  readonly out_dropout: Dropout;
  processor: AttentionProcessor;

  constructor(query_dim: number, opts: AttentionOptions = {}) {
    super();
    this.query_dim = query_dim;
    this.is_cross_attention = opts.cross_attention_dim != null;
    this.cross_attention_dim = opts.cross_attention_dim ?? query_dim;
    this.heads = opts.heads ?? 8;
    this.dim_head = opts.dim_head ?? 64;
    this.inner_dim = this.heads * this.dim_head;
    this.scale = this.dim_head ** -0.5;
    this.residual_connection = opts.residual_connection ?? false;
    this.rescale_output_factor = opts.rescale_output_factor ?? 1;
    const bias = opts.bias ?? false;
    this.to_q = this.add_module('to_q', new Linear(query_dim, this.inner_dim, { ...opts, bias }));
    this.to_k = this.add_module('to_k', new Linear(this.cross_attention_dim, this.inner_dim, { ...opts, bias }));
    this.to_v = this.add_module('to_v', new Linear(this.cross_attention_dim, this.inner_dim, { ...opts, bias }));
    this.out_proj = new Linear(this.inner_dim, query_dim, { ...opts, bias: opts.out_bias ?? true });
    this.out_dropout = new Dropout(opts.dropout ?? 0);
    this.to_out = this.add_module('to_out', new ModuleList<Module>([this.out_proj, this.out_dropout]));
    this.processor = opts.processor ?? new AttnProcessor();
  }

  set_processor(processor: AttentionProcessor): void {
    this.processor = processor;
  }

  get_processor(): AttentionProcessor {
    return this.processor;
  }

  forward(hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null): Tensor {
    return this.processor.call(this, hidden_states, encoder_hidden_states, attention_mask);
  }

  /** (B, S, H*D) -> (B*H, S, D); row b*H + h holds head h of sample b. */
  head_to_batch_dim(t: Tensor): Tensor {
    const [b, s, c] = t.shape as [number, number, number];
    const h = this.heads;
    return reshape(permute(reshape(t, [b, s, h, c / h]), [0, 2, 1, 3]), [b * h, s, c / h]);
  }

  /** (B*H, S, D) -> (B, S, H*D), the inverse of head_to_batch_dim. */
  batch_to_head_dim(t: Tensor): Tensor {
    const [bh, s, d] = t.shape as [number, number, number];
    const h = this.heads;
    return reshape(permute(reshape(t, [bh / h, h, s, d]), [0, 2, 1, 3]), [bh / h, s, d * h]);
  }

  /**
   * softmax(scale * Q K^T + mask) over keys. query (B*H, Sq, D), key (B*H, Sk, D), mask an additive
   * bias broadcastable to (B*H, Sq, Sk). Counts the FLOPs of both attention products, since
   * probs @ V costs what Q K^T does and custom processors call this too.
   */
  get_attention_scores(query: Tensor, key: Tensor, attention_mask?: Tensor | null): Tensor {
    const [bh, sq, d] = query.shape as [number, number, number];
    const sk = key.dim(1);
    countFlops(2 * 2 * bh * sq * sk * d);
    // one product: no transposed copy of the keys, no separate scaling pass (bit-identical)
    let scores = matmul_nt(query, key, this.scale);
    if (attention_mask) scores = add(scores, attention_mask);
    return softmax(scores, -1);
  }

  /**
   * An additive mask (B, Sk) or (B, Sq, Sk) -> (B*H, 1 or Sq, target_length) in head_to_batch_dim's
   * row order. A mask shorter than target_length is padded with zeros (attend) up to it; diffusers
   * pads by target_length instead, which only its own callers' shapes tolerate.
   */
  prepare_attention_mask(attention_mask: Tensor | null | undefined, target_length: number, batch_size: number): Tensor | null {
    if (!attention_mask) return null;
    let m = attention_mask.ndim === 2 ? reshape(attention_mask, [attention_mask.dim(0), 1, attention_mask.dim(1)]) : attention_mask;
    const cur = m.dim(-1);
    if (cur > target_length) throw new Error(`attention mask of length ${cur} is longer than the ${target_length} keys`);
    if (cur < target_length) {
      m = cat([m, zeros([...m.shape.slice(0, -1), target_length - cur], { dtype: m.dtype })], -1);
    }
    if (m.dim(0) < batch_size * this.heads) {
      // repeat_interleave(heads, dim 0): row b*H + h reads mask b
      const rows = Array.from({ length: m.dim(0) * this.heads }, (_, i) => Math.floor(i / this.heads));
      m = index_select(m, 0, rows);
    }
    return m;
  }
}

/**
 * diffusers' default AttnProcessor: the plain scaled-dot-product attention, step by step. One step
 * is a method of its own, `attend`, so a processor that only needs to see or change the attention
 * probabilities (Break-A-Scene's P2P processor) subclasses this one and overrides that step alone.
 */
export class AttnProcessor implements AttentionProcessor {
  call(attn: Attention, hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null): Tensor {
    const residual = hidden_states;
    let x = hidden_states;
    const spatial = x.ndim === 4;
    const [b0, c0, h0, w0] = x.shape as [number, number, number, number];
    if (spatial) x = transpose(reshape(x, [b0, c0, h0 * w0]), 1, 2);
    const is_cross = encoder_hidden_states != null;
    const context = encoder_hidden_states ?? x;
    const mask = attn.prepare_attention_mask(attention_mask, context.dim(1), context.dim(0));

    const query = attn.head_to_batch_dim(attn.to_q.forward(x));
    const key = attn.head_to_batch_dim(attn.to_k.forward(context));
    const value = attn.head_to_batch_dim(attn.to_v.forward(context));

    const probs = this.attend(attn, attn.get_attention_scores(query, key, mask), is_cross);
    let out = attn.batch_to_head_dim(bmm(probs, value));
    out = attn.out_dropout.forward(attn.out_proj.forward(out));

    if (spatial) out = reshape(transpose(out, 1, 2), [b0, c0, h0, w0]);
    if (attn.residual_connection) out = add(out, residual);
    return attn.rescale_output_factor === 1 ? out : mul(out, 1 / attn.rescale_output_factor);
  }

  /**
   * The attention probabilities (B*H, Sq, Sk), right after softmax and before probs @ V, as the
   * rest of the computation will use them; `is_cross` when the keys came from
   * encoder_hidden_states. The default passes them through.
   */
  attend(_attn: Attention, probs: Tensor, _is_cross: boolean): Tensor {
    return probs;
  }
}

function isProcessor(p: AttentionProcessor | Record<string, AttentionProcessor>): p is AttentionProcessor {
  return 'call' in p && typeof p.call === 'function';
}

/** Every Attention under `root`, keyed `{path}.processor`, in named_modules order (diffusers' order). */
export function attnProcessorsOf(root: Module): Record<string, AttentionProcessor> {
  const out: Record<string, AttentionProcessor> = {};
  for (const [name, m] of root.named_modules()) if (m instanceof Attention) out[`${name}.processor`] = m.processor;
  return out;
}

/** Sets one processor everywhere, or one per key; a map must name every layer and nothing else. */
export function setAttnProcessorOf(root: Module, processor: AttentionProcessor | Record<string, AttentionProcessor>): void {
  const layers = root.named_modules().filter((e): e is [string, Attention] => e[1] instanceof Attention);
  if (isProcessor(processor)) {
    for (const [, m] of layers) m.set_processor(processor);
    return;
  }
  const known = new Set(layers.map(([n]) => `${n}.processor`));
  const given = Object.keys(processor);
  const missing = [...known].filter((k) => !(k in processor));
  const unknown = given.filter((k) => !known.has(k));
  if (missing.length || unknown.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing (${missing.length}): ${missing.join(', ')}`);
    if (unknown.length) parts.push(`unknown (${unknown.length}): ${unknown.join(', ')}`);
    throw new Error(`set_attn_processor: a map of ${given.length} processors for ${known.size} attention layers; ${parts.join('; ')}`);
  }
  for (const [n, m] of layers) m.set_processor(processor[`${n}.processor`]!);
}
