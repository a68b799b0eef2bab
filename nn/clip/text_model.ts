// A CLIPTextModel as in transformers: token + position embeddings, pre-LayerNorm encoder layers with
// a causal mask and a quick_gelu MLP, final_layer_norm. Parameter names follow transformers
// (`text_model.encoder.layers.0.self_attn.q_proj.weight`), init follows CLIP's _init_weights.
import { add, bmm, embedding, index_select, masked_fill, mul, permute, reshape, softmax, tensor, transpose, type Tensor } from '../../core/index.js';
import { countFlops } from '../flops.js';
import { activationFn } from '../layers/activations.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { LayerNorm } from '../layers/norm.js';
import { generatorOf, Module, ModuleList, type ModuleOptions } from '../module.js';
import type { Generator } from '../../core/index.js';

/** transformers' CLIPTextConfig keys. */
export interface CLIPTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: 'quick_gelu' | 'gelu';
  layer_norm_eps: number;
  attention_dropout: number;
  initializer_range: number;
  initializer_factor: number;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
}

/** transformers' defaults (OpenAI CLIP ViT-B text tower). */
export const CLIP_TEXT_DEFAULTS: CLIPTextConfig = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  attention_dropout: 0,
  initializer_range: 0.02,
  initializer_factor: 1,
  pad_token_id: 1,
  bos_token_id: 49406,
  eos_token_id: 49407,
};

export function resolveCLIPTextConfig(input: Partial<CLIPTextConfig>): CLIPTextConfig {
  const unknown = Object.keys(input).filter((k) => !(k in CLIP_TEXT_DEFAULTS) && !k.startsWith('_'));
  if (unknown.length) throw new Error(`CLIPTextModel: unknown config keys ${unknown.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !k.startsWith('_')));
  const c: CLIPTextConfig = { ...CLIP_TEXT_DEFAULTS, ...defined };
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error(`hidden_size ${c.hidden_size} does not split into ${c.num_attention_heads} heads`);
  return c;
}

type Ids = Tensor | readonly (readonly number[])[];

function idRows(ids: Ids): number[][] {
  if (Array.isArray(ids)) return ids.map((r) => [...r]);
  const t = ids as Tensor;
  if (t.ndim !== 2) throw new Error(`input_ids must be (batch, seq), got [${t.shape.join(', ')}]`);
  const [b, s] = t.shape as [number, number];
  const d = t.data;
  return Array.from({ length: b }, (_, i) => Array.from(d.subarray(i * s, (i + 1) * s)));
}

export class CLIPTextEmbeddings extends Module {
  readonly token_embedding: Embedding;
  readonly position_embedding: Embedding;

  constructor(c: CLIPTextConfig, opts: ModuleOptions) {
    super();
    const std = c.initializer_range * c.initializer_factor;
    this.token_embedding = this.add_module('token_embedding', new Embedding(c.vocab_size, c.hidden_size, { ...opts, std }));
    this.position_embedding = this.add_module('position_embedding', new Embedding(c.max_position_embeddings, c.hidden_size, { ...opts, std }));
    // transformers keeps position_ids as a non-persistent buffer (absent from state dicts)
    const n = c.max_position_embeddings;
    this.register_buffer('position_ids', tensor(Array.from({ length: n }, (_, i) => i), { shape: [1, n], dtype: 'float64' }), false);
  }

  forward(rows: number[][]): Tensor {
    const s = rows[0]?.length ?? 0;
    if (s > this.position_embedding.num_embeddings) throw new Error(`sequence of ${s} tokens exceeds max_position_embeddings ${this.position_embedding.num_embeddings}`);
    const tok = reshape(this.token_embedding.forward(rows.flat()), [rows.length, s, this.token_embedding.embedding_dim]);
    const pos = embedding(Array.from({ length: s }, (_, i) => i), this.position_embedding.weight);
    return add(tok, pos);
  }
}

/** Multi-head self-attention with q/k/v/out projections, all biased; masks are boolean (1 = hide). */
export class CLIPAttention extends Module {
  readonly num_heads: number;
  readonly head_dim: number;
  readonly scale: number;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly q_proj: Linear;
  readonly out_proj: Linear;
  private readonly drop: Dropout;

  constructor(c: CLIPTextConfig, opts: ModuleOptions) {
    super();
    const e = c.hidden_size;
    this.num_heads = c.num_attention_heads;
    this.head_dim = e / this.num_heads;
    this.scale = this.head_dim ** -0.5;
    const f = c.initializer_factor;
    const inStd = e ** -0.5 * (2 * c.num_hidden_layers) ** -0.5 * f;
    this.k_proj = this.add_module('k_proj', new Linear(e, e, { ...opts, weight_std: inStd }));
    this.v_proj = this.add_module('v_proj', new Linear(e, e, { ...opts, weight_std: inStd }));
    this.q_proj = this.add_module('q_proj', new Linear(e, e, { ...opts, weight_std: inStd }));
    this.out_proj = this.add_module('out_proj', new Linear(e, e, { ...opts, weight_std: e ** -0.5 * f }));
    this.drop = new Dropout(c.attention_dropout);
  }

  /** x (B, S, E); hide: 0/1 tensor broadcastable to (B*H, S, S), 1 where a key is hidden. */
  forward(x: Tensor, hide: Tensor | null): Tensor {
    const [b, s, e] = x.shape as [number, number, number];
    const h = this.num_heads;
    const heads = (t: Tensor): Tensor => reshape(permute(reshape(t, [b, s, h, this.head_dim]), [0, 2, 1, 3]), [b * h, s, this.head_dim]);
    const q = heads(mul(this.q_proj.forward(x), this.scale));
    const k = heads(this.k_proj.forward(x));
    const v = heads(this.v_proj.forward(x));
    countFlops(2 * 2 * b * h * s * s * this.head_dim);
    let w = bmm(q, transpose(k, 1, 2));
    // fill with the dtype's lowest finite value, as transformers does: a fully hidden row stays finite
    if (hide) w = masked_fill(w, hide, x.dtype === 'float64' ? -Number.MAX_VALUE : -3.4028234663852886e38);
    this.drop.training = this.training;
    const p = this.drop.forward(softmax(w, -1));
    const o = reshape(permute(reshape(bmm(p, v), [b, h, s, this.head_dim]), [0, 2, 1, 3]), [b, s, e]);
    return this.out_proj.forward(o);
  }
}

export class CLIPMLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(c: CLIPTextConfig, opts: ModuleOptions) {
    super();
    const f = c.initializer_factor;
    const inStd = c.hidden_size ** -0.5 * (2 * c.num_hidden_layers) ** -0.5 * f;
    this.fc1 = this.add_module('fc1', new Linear(c.hidden_size, c.intermediate_size, { ...opts, weight_std: (2 * c.hidden_size) ** -0.5 * f }));
    this.fc2 = this.add_module('fc2', new Linear(c.intermediate_size, c.hidden_size, { ...opts, weight_std: inStd }));
    this.act = activationFn(c.hidden_act);
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act(this.fc1.forward(x)));
  }
}

/** h = x + self_attn(layer_norm1(x)); out = h + mlp(layer_norm2(h)). */
export class CLIPEncoderLayer extends Module {
  readonly self_attn: CLIPAttention;
  readonly layer_norm1: LayerNorm;
  readonly mlp: CLIPMLP;
  readonly layer_norm2: LayerNorm;

  constructor(c: CLIPTextConfig, opts: ModuleOptions) {
    super();
    const ln = { dtype: opts.dtype, eps: c.layer_norm_eps };
    this.self_attn = this.add_module('self_attn', new CLIPAttention(c, opts));
    this.layer_norm1 = this.add_module('layer_norm1', new LayerNorm(c.hidden_size, ln));
    this.mlp = this.add_module('mlp', new CLIPMLP(c, opts));
    this.layer_norm2 = this.add_module('layer_norm2', new LayerNorm(c.hidden_size, ln));
  }

  forward(x: Tensor, hide: Tensor | null): Tensor {
    const h = add(x, this.self_attn.forward(this.layer_norm1.forward(x), hide));
    return add(h, this.mlp.forward(this.layer_norm2.forward(h)));
  }
}

export class CLIPEncoder extends Module {
  readonly layers: ModuleList<CLIPEncoderLayer>;

  constructor(c: CLIPTextConfig, opts: ModuleOptions) {
    super();
    this.layers = this.add_module('layers', new ModuleList<CLIPEncoderLayer>());
    for (let i = 0; i < c.num_hidden_layers; i++) this.layers.push(new CLIPEncoderLayer(c, opts));
  }

  forward(x: Tensor, hide: Tensor | null): Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, hide);
    return h;
  }
}

export interface CLIPTextOutput {
  /** (B, S, hidden): what the UNet is conditioned on (after final_layer_norm). */
  last_hidden_state: Tensor;
  /** (B, hidden): the state at each row's first eos token (the last position if it has none). */
  pooler_output: Tensor;
}

export class CLIPTextTransformer extends Module {
  readonly embeddings: CLIPTextEmbeddings;
  readonly encoder: CLIPEncoder;
  readonly final_layer_norm: LayerNorm;

  constructor(
    private readonly c: CLIPTextConfig,
    opts: ModuleOptions,
  ) {
    super();
    this.embeddings = this.add_module('embeddings', new CLIPTextEmbeddings(c, opts));
    this.encoder = this.add_module('encoder', new CLIPEncoder(c, opts));
    this.final_layer_norm = this.add_module('final_layer_norm', new LayerNorm(c.hidden_size, { dtype: opts.dtype, eps: c.layer_norm_eps }));
  }

  forward(rows: number[][], attention_mask?: Tensor | null): CLIPTextOutput {
    const b = rows.length;
    const s = rows[0]?.length ?? 0;
    if (rows.some((r) => r.length !== s)) throw new Error('input_ids rows differ in length; pad them first');
    const x = this.embeddings.forward(rows);
    const h = this.encoder.forward(x, hideMask(b, s, this.c.num_attention_heads, attention_mask, x.dtype));
    const last = this.final_layer_norm.forward(h);
    const eos = rows.map((r, i) => {
      const at = r.indexOf(this.c.eos_token_id);
      return i * s + (at < 0 ? s - 1 : at);
    });
    const pooled = index_select(reshape(last, [b * s, last.dim(2)]), 0, eos);
    return { last_hidden_state: last, pooler_output: pooled };
  }
}

/**
 * 1 where query i may not see key j: j > i (causal), or key j is padding per attention_mask
 * (B, S) of 1 keep / 0 pad. Shape (1, S, S) or (B*H, S, S).
 */
function hideMask(b: number, s: number, heads: number, attention_mask: Tensor | null | undefined, dtype: Tensor['dtype']): Tensor {
  const pad = attention_mask ? attention_mask.data : null;
  const rows = pad ? b * heads : 1;
  const d = new Float64Array(rows * s * s);
  for (let r = 0; r < rows; r++) {
    const sample = Math.floor(r / heads);
    for (let i = 0; i < s; i++)
      for (let j = 0; j < s; j++) d[(r * s + i) * s + j] = j > i || (pad !== null && pad[sample * s + j] === 0) ? 1 : 0;
  }
  return tensor(d, { shape: [rows, s, s], dtype });
}

export class CLIPTextModel extends Module {
  readonly config: CLIPTextConfig;
  readonly text_model: CLIPTextTransformer;

  constructor(config: Partial<CLIPTextConfig>, opts: ModuleOptions = {}) {
    super();
    this.config = resolveCLIPTextConfig(config);
    this.text_model = this.add_module('text_model', new CLIPTextTransformer(this.config, opts));
  }

  get dtype(): Tensor['dtype'] {
    return this.text_model.embeddings.token_embedding.weight.dtype;
  }

  /** input_ids (B, S) as a tensor or nested arrays of ids; attention_mask (B, S) 1 keep / 0 pad. */
  forward(input_ids: Ids, opts: { attention_mask?: Tensor | null } = {}): CLIPTextOutput {
    return this.text_model.forward(idRows(input_ids), opts.attention_mask);
  }

  get_input_embeddings(): Embedding {
    return this.text_model.embeddings.token_embedding;
  }

  /**
   * Grows (or shrinks) the token table to n rows; old rows are kept and new rows drawn from
   * N(0, initializer_range^2), CLIP's init for embeddings. Returns the embedding module.
   */
  resize_token_embeddings(n: number, generator?: Generator): Embedding {
    const emb = this.get_input_embeddings();
    emb.resize(n, generator ?? generatorOf({}));
    this.config.vocab_size = n;
    return emb;
  }
}
