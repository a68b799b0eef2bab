// UNet2DConditionModel and its blocks: diffusers' names and processor keys, shapes through the
// named configs, and float64 gradchecks through the blocks and the whole tiny UNet.
import { describe, expect, it } from 'vitest';
import { add, Generator, gradcheck, mul, narrow, no_grad, reshape, silu, sub, tensor, zeros_like, type Tensor } from '../../core/index.js';
import {
  AttnProcessor,
  Downsample2D,
  get_timestep_embedding,
  ResnetBlock2D,
  Transformer2DModel,
  UNet2DConditionModel,
  unetConfig,
  unetFlops,
  Upsample2D,
  type Attention,
  type AttentionProcessor,
} from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };
const maxAbsDiff = (a: Tensor, b: Tensor): number => Array.from(sub(a, b).detach().data, Math.abs).reduce((m, v) => Math.max(m, v), 0);

/** The keys diffusers' `attn_processors` gives for `tiny`, written out by hand. */
const TINY_PROCESSOR_KEYS = [
  'down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor',
  'down_blocks.1.attentions.0.transformer_blocks.0.attn2.processor',
  'up_blocks.0.attentions.0.transformer_blocks.0.attn1.processor',
  'up_blocks.0.attentions.0.transformer_blocks.0.attn2.processor',
  'up_blocks.0.attentions.1.transformer_blocks.0.attn1.processor',
  'up_blocks.0.attentions.1.transformer_blocks.0.attn2.processor',
  'mid_block.attentions.0.transformer_blocks.0.attn1.processor',
  'mid_block.attentions.0.transformer_blocks.0.attn2.processor',
];

/** ... and for `default`: down blocks 1 and 2 (one each), up blocks 0 and 1 (layers_per_block + 1 = two each), the mid block. */
const DEFAULT_PROCESSOR_KEYS = [
  'down_blocks.1.attentions.0',
  'down_blocks.2.attentions.0',
  'up_blocks.0.attentions.0',
  'up_blocks.0.attentions.1',
  'up_blocks.1.attentions.0',
  'up_blocks.1.attentions.1',
  'mid_block.attentions.0',
].flatMap((p) => [`${p}.transformer_blocks.0.attn1.processor`, `${p}.transformer_blocks.0.attn2.processor`]);

class Tagged implements AttentionProcessor {
  readonly inner = new AttnProcessor();
  constructor(readonly tag: string) {}
  call(attn: Attention, h: Tensor, e?: Tensor | null, m?: Tensor | null): Tensor {
    return this.inner.call(attn, h, e, m);
  }
}

describe('timestep embedding', () => {
  it("is SD's [cos, sin] of t * exp(-ln(10000) k / half) with flip_sin_to_cos and freq_shift 0", () => {
    const e = get_timestep_embedding([0, 10], 4, { flip_sin_to_cos: true, downscale_freq_shift: 0, dtype: 'float64' }).tolist() as number[][];
    const f = [1, Math.exp(-Math.log(10000) / 2)];
    expect(e[0]).toEqual([1, 1, 0, 0]);
    const want = [Math.cos(10 * f[0]!), Math.cos(10 * f[1]!), Math.sin(10 * f[0]!), Math.sin(10 * f[1]!)];
    e[1]!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
    const plain = get_timestep_embedding([10], 5, { downscale_freq_shift: 1, dtype: 'float64' }).tolist() as number[][];
    expect(plain[0]![4]).toBe(0); // odd dim: a zero column
    expect(plain[0]![0]).toBeCloseTo(Math.sin(10), 14);
  });
});

describe('UNet blocks gradchecks (float64)', () => {
  const g = new Generator(0);
  it('ResnetBlock2D with the time-embedding projection and a conv shortcut', () => {
    const block = new ResnetBlock2D(4, { ...f64, generator: g, out_channels: 6, temb_channels: 5, groups: 2, eps: 1e-5 });
    expect(Object.keys(block.state_dict())).toContain('conv_shortcut.weight');
    const x = g.randn([2, 4, 3, 3], f64).requires_grad_(true);
    const temb = g.randn([2, 5], f64).requires_grad_(true);
    expect(gradcheck((a, t) => block.forward(a, t), [x, temb, block.time_emb_proj!.weight, block.conv1.weight], { atol: 1e-6 }).ok).toBe(true);
  });

  it("ResnetBlock2D with time_embedding_norm 'scale_shift': norm2(h) * (1 + scale) + shift, the projection twice as wide", () => {
    const block = new ResnetBlock2D(4, { ...f64, generator: g, out_channels: 6, temb_channels: 5, groups: 2, eps: 1e-5, time_embedding_norm: 'scale_shift' });
    expect(block.time_emb_proj!.weight.shape).toEqual([12, 5]);
    const x = g.randn([2, 4, 3, 3], f64).requires_grad_(true);
    const temb = g.randn([2, 5], f64).requires_grad_(true);
    // the same block written out from its parts, the time embedding split by narrow
    const t = block.time_emb_proj!.forward(silu(temb));
    const scale = reshape(narrow(t, 1, 0, 6), [2, 6, 1, 1]);
    const shift = reshape(narrow(t, 1, 6, 6), [2, 6, 1, 1]);
    const h = block.norm2.forward(block.conv1.forward(silu(block.norm1.forward(x))));
    const want = add(block.conv_shortcut!.forward(x), block.conv2.forward(silu(add(mul(h, add(scale, 1)), shift))));
    expect(maxAbsDiff(block.forward(x, temb), want)).toBeLessThan(1e-12);
    // a zero projection makes it the block without a time embedding, which the default block is too
    const plain = new ResnetBlock2D(4, { ...f64, generator: g, out_channels: 6, temb_channels: 5, groups: 2, eps: 1e-5 });
    no_grad(() => {
      for (const b of [block, plain]) for (const p of b.time_emb_proj!.parameters()) p.assign_(zeros_like(p));
      plain.load_state_dict(Object.fromEntries(Object.entries(block.state_dict()).filter(([k]) => !k.startsWith('time_emb_proj'))), false);
      expect(maxAbsDiff(block.forward(x, temb), plain.forward(x, temb))).toBeLessThan(1e-12);
    });
    expect(() => block.forward(x, null)).toThrow(/'scale_shift' needs temb/);
    const fresh = new ResnetBlock2D(4, { ...f64, generator: g, out_channels: 6, temb_channels: 5, groups: 2, eps: 1e-5, time_embedding_norm: 'scale_shift' });
    expect(gradcheck((a, e) => fresh.forward(a, e), [x, temb, fresh.time_emb_proj!.weight, fresh.time_emb_proj!.bias!, fresh.conv1.weight], { atol: 1e-6 }).ok).toBe(true);
  });

  it('Downsample2D and Upsample2D (nearest x2 + conv, or to an explicit size)', () => {
    const down = new Downsample2D(2, { ...f64, generator: g });
    const up = new Upsample2D(2, { ...f64, generator: g });
    const x = g.randn([1, 2, 5, 4], f64).requires_grad_(true);
    expect(down.forward(x).shape).toEqual([1, 2, 3, 2]);
    expect(up.forward(x).shape).toEqual([1, 2, 10, 8]);
    expect(up.forward(x, [9, 7]).shape).toEqual([1, 2, 9, 7]);
    expect(gradcheck((a) => down.forward(a), [x, down.conv.weight]).ok).toBe(true);
    expect(gradcheck((a) => up.forward(a), [x, up.conv.weight]).ok).toBe(true);
  });

  it('Transformer2DModel with linear and with 1x1-conv projections', () => {
    for (const use_linear_projection of [true, false]) {
      const t = new Transformer2DModel(2, 2, 4, { ...f64, generator: g, norm_num_groups: 2, cross_attention_dim: 3, use_linear_projection });
      expect(t.transformer_blocks.length).toBe(1);
      const x = g.randn([2, 4, 2, 3], f64).requires_grad_(true);
      const ctx = g.randn([2, 5, 3], f64).requires_grad_(true);
      const attn2 = t.transformer_blocks.at(0).attn2!;
      expect(gradcheck((a, c) => t.forward(a, c), [x, ctx, t.proj_in.weight, attn2.to_k.weight], { atol: 1e-6 }).ok).toBe(true);
    }
  });
});

describe('UNet2DConditionModel', () => {
  it('attn_processors lists exactly the keys diffusers would, for tiny and default', () => {
    expect(Object.keys(new UNet2DConditionModel(unetConfig('tiny')).attn_processors)).toEqual(TINY_PROCESSOR_KEYS);
    expect(Object.keys(new UNet2DConditionModel(unetConfig('default')).attn_processors)).toEqual(DEFAULT_PROCESSOR_KEYS);
  });

  it('set_attn_processor takes one processor or a complete map, and names unknown or missing keys', () => {
    const unet = new UNet2DConditionModel(unetConfig('tiny'));
    const one = new Tagged('all');
    unet.set_attn_processor(one);
    expect(Object.values(unet.attn_processors).every((p) => p === one)).toBe(true);
    const map = Object.fromEntries(TINY_PROCESSOR_KEYS.map((k) => [k, new Tagged(k)]));
    unet.set_attn_processor(map);
    for (const [k, p] of Object.entries(unet.attn_processors)) expect((p as Tagged).tag).toBe(k);
    const attn = unet.get_submodule('mid_block.attentions.0.transformer_blocks.0.attn2') as Attention;
    expect((attn.processor as Tagged).tag).toBe('mid_block.attentions.0.transformer_blocks.0.attn2.processor');

    const missing = { ...map };
    delete missing[TINY_PROCESSOR_KEYS[3]!];
    expect(() => unet.set_attn_processor(missing)).toThrow(/missing \(1\): up_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn2\.processor/);
    expect(() => unet.set_attn_processor({ ...map, 'mid_block.attentions.1.transformer_blocks.0.attn1.processor': one })).toThrow(
      /unknown \(1\): mid_block\.attentions\.1/,
    );
    // a failed call changes nothing
    expect((attn.processor as Tagged).tag).toBe('mid_block.attentions.0.transformer_blocks.0.attn2.processor');
  });

  it('state dict keys read like diffusers', () => {
    const keys = Object.keys(new UNet2DConditionModel(unetConfig('default')).state_dict());
    for (const k of [
      'conv_in.weight',
      'time_embedding.linear_1.weight',
      'time_embedding.linear_2.bias',
      'down_blocks.0.resnets.0.norm1.weight',
      'down_blocks.0.resnets.0.time_emb_proj.weight',
      'down_blocks.0.downsamplers.0.conv.weight',
      'down_blocks.1.attentions.0.proj_in.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_out.0.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.ff.net.2.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.norm3.weight',
      'down_blocks.1.resnets.0.conv_shortcut.weight',
      'mid_block.resnets.1.conv2.weight',
      'mid_block.attentions.0.proj_out.weight',
      'up_blocks.0.upsamplers.0.conv.weight',
      'up_blocks.2.resnets.1.conv_shortcut.weight',
      'conv_norm_out.weight',
      'conv_out.weight',
    ]) {
      expect(keys).toContain(k);
    }
    expect(keys).not.toContain('down_blocks.2.downsamplers.0.conv.weight');
    expect(keys).not.toContain('up_blocks.2.upsamplers.0.conv.weight');
    expect(keys.some((k) => k.startsWith('down_blocks.0.attentions'))).toBe(false);
    // children in diffusers' order: down_blocks, up_blocks, then mid_block
    const first = (p: string): number => keys.findIndex((k) => k.startsWith(p));
    expect(first('down_blocks.')).toBeLessThan(first('up_blocks.'));
    expect(first('up_blocks.')).toBeLessThan(first('mid_block.'));
    expect(first('mid_block.')).toBeLessThan(first('conv_norm_out.'));
  });

  it('resolves the config with diffusers defaults and rejects what it cannot build', () => {
    const unet = new UNet2DConditionModel(unetConfig('tiny'));
    expect(unet.config.flip_sin_to_cos).toBe(true);
    expect(unet.config.freq_shift).toBe(0);
    expect(unet.config.norm_eps).toBe(1e-5);
    expect(unet.config.block_out_channels).toEqual([4, 8]);
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), block_out_channels: [4, 8, 8] })).toThrow(/down and up block types/);
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), ...({ bogus: 1 } as object) })).toThrow(/unknown config keys bogus/);
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), attention_head_dim: 3 })).toThrow(/attention heads/);
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), down_block_types: ['DownBlock2D', 'AttnDownBlock2D' as 'DownBlock2D'] })).toThrow(
      /unknown down block type/,
    );
  });

  it('tiny: shape preserved, timesteps as number, list or tensor, odd sizes upsample back exactly', () => {
    const g = new Generator(1);
    const unet = new UNet2DConditionModel(unetConfig('tiny'), { generator: g });
    const x = g.randn([2, 3, 8, 8]);
    const ctx = g.randn([2, 5, 8]);
    no_grad(() => {
      const a = unet.forward(x, 7, ctx).sample;
      expect(a.shape).toEqual([2, 3, 8, 8]);
      expect(unet.forward(x, [7, 7], ctx).sample.tolist()).toEqual(a.tolist());
      expect(unet.forward(x, tensor([7, 7]), ctx).sample.tolist()).toEqual(a.tolist());
      expect(unet.forward(x, [7, 900], ctx).sample.tolist()).not.toEqual(a.tolist());
      expect(unet.forward(g.randn([1, 3, 7, 5]), 1, g.randn([1, 2, 8])).sample.shape).toEqual([1, 3, 7, 5]);
      // an encoder mask that hides nothing changes nothing
      const keep = unet.forward(x, 7, ctx, { encoder_attention_mask: tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]) }).sample.data;
      Array.from(keep).forEach((v, i) => expect(v).toBeCloseTo(a.data[i]!, 5));
    });
    expect(() => unet.forward(x, [1, 2, 3], ctx)).toThrow(/3 timesteps for a batch of 2/);
  });

  it('gradchecks the whole tiny UNet w.r.t. the sample, a conv weight, an attention weight and the encoder states', () => {
    const g = new Generator(2);
    const unet = new UNet2DConditionModel(unetConfig('tiny'), { ...f64, generator: g });
    unet.requires_grad_(false); // only the checked tensors need gradients
    const conv = unet.conv_in.weight.requires_grad_(true);
    const toK = unet.get_parameter('down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight').requires_grad_(true);
    const x = g.randn([1, 3, 8, 8], f64).requires_grad_(true);
    const ctx = g.randn([1, 4, 8], f64).requires_grad_(true);
    // fast mode (output 192 > 64): a random projection of the output, one backward pass
    const r = gradcheck((a, _w, _k, c) => unet.forward(a, 321, c).sample, [x, conv, toK, ctx], { atol: 1e-6 });
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('fast');
    expect(r.checked).toBe(192 + 108 + 64 + 32);
  });

  it("conv_padding_mode 'circular': the whole UNet commutes with a wrapped shift of 2^levels pixels; 'zeros' (the default) does not", () => {
    const roll = (t: Tensor, dy: number, dx: number): Tensor => {
      const [n, c, h, w] = t.shape as [number, number, number, number];
      const out = new Float64Array(t.size);
      for (let p = 0; p < n * c; p++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[p * h * w + ((i + dy) % h) * w + ((j + dx) % w)] = t.data[p * h * w + i * w + j]!;
      return tensor(out, { ...f64, shape: t.shape });
    };
    const g = new Generator(4);
    const x = g.randn([1, 3, 8, 8], f64);
    const ctx = g.randn([1, 4, 8], f64);
    const gap = (mode: 'zeros' | 'circular'): number => {
      const unet = new UNet2DConditionModel({ ...unetConfig('tiny'), conv_padding_mode: mode }, { ...f64, generator: new Generator(9) });
      expect(unet.config.conv_padding_mode).toBe(mode);
      // tiny halves the grid once, so a shift by a multiple of 2 keeps every level's grid aligned
      const a = no_grad(() => roll(unet.forward(x, 250, ctx).sample, 2, 4));
      const b = no_grad(() => unet.forward(roll(x, 2, 4), 250, ctx).sample);
      return Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b.data[i]!)));
    };
    expect(gap('circular')).toBeLessThan(1e-12);
    expect(gap('zeros')).toBeGreaterThan(1e-3);
    expect(new UNet2DConditionModel(unetConfig('tiny')).config.conv_padding_mode).toBe('zeros');
    // the mode is set after the weights are drawn: the same generator gives the same weights
    const [wz, wc] = (['zeros', 'circular'] as const).map((m) => new UNet2DConditionModel({ ...unetConfig('tiny'), conv_padding_mode: m }, { generator: new Generator(9) }).state_dict());
    for (const [k, t] of Object.entries(wz!)) expect(Array.from(wc![k]!.data), k).toEqual(Array.from(t.data));
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), conv_padding_mode: 'reflect' as 'zeros' })).toThrow(/conv_padding_mode "reflect" is not supported/);
  });

  it("resnet_time_scale_shift 'scale_shift' reaches every resnet (down, mid, up), whose time projection doubles; other values are named", () => {
    const unet = new UNet2DConditionModel({ ...unetConfig('tiny'), resnet_time_scale_shift: 'scale_shift' }, { generator: new Generator(2) });
    const resnets = [...unet.modules()].filter((m): m is ResnetBlock2D => m instanceof ResnetBlock2D);
    expect(resnets.length).toBeGreaterThan(4);
    for (const r of resnets) {
      expect(r.time_embedding_norm).toBe('scale_shift');
      expect(r.time_emb_proj!.weight.shape[0]).toBe(2 * r.out_channels);
    }
    const x = new Generator(3).randn([1, 3, 8, 8]);
    const ctx = new Generator(4).randn([1, 4, unet.config.cross_attention_dim as number]);
    expect(no_grad(() => unet.forward(x, 250, ctx).sample).shape).toEqual([1, 3, 8, 8]);
    expect(new UNet2DConditionModel(unetConfig('tiny')).config.resnet_time_scale_shift).toBe('default');
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), resnet_time_scale_shift: 'spatial' as 'default' })).toThrow(/resnet_time_scale_shift "spatial" is not supported/);
  });

  it('default: forward of a (2, 3, 32, 32) batch keeps its shape', () => {
    const g = new Generator(3);
    const unet = new UNet2DConditionModel(unetConfig('default'), { generator: g });
    const out = no_grad(() => unet.forward(g.randn([2, 3, 32, 32]), [10, 500], g.randn([2, 24, 64])).sample);
    expect(out.shape).toEqual([2, 3, 32, 32]);
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
  });

  it('default-64: attention only at 16x16 and 8x8, one more level', () => {
    const unet = new UNet2DConditionModel(unetConfig('default-64'));
    expect(Object.keys(unet.attn_processors).every((k) => /^(down_blocks\.[23]|up_blocks\.[01]|mid_block)\./.test(k))).toBe(true);
    expect(unet.down_blocks.length).toBe(4);
    expect(unet.num_upsamplers).toBe(3);
  });

  it('parameter counts of the named configs', () => {
    expect(new UNet2DConditionModel(unetConfig('tiny')).num_parameters()).toBe(16855);
    expect(new UNet2DConditionModel(unetConfig('default')).num_parameters()).toBe(1687075);
    expect(new UNet2DConditionModel(unetConfig('default-64')).num_parameters()).toBe(1796547);
  });

  it('unetFlops counts a forward that scales with the batch; fwd+bwd is 3x', () => {
    const one = unetFlops(unetConfig('tiny'), 1, { seq_len: 4 });
    const two = unetFlops(unetConfig('tiny'), 2, { seq_len: 4 });
    expect(two.forward).toBe(2 * one.forward);
    expect(one.forward_backward).toBe(3 * one.forward);
    expect(one.forward).toBeGreaterThan(0);
  });
});
