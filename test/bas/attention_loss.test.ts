import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, interpolate, mse_loss, mul, softmax, tensor, zeros } from '../../core/index.js';
import { attentionIoU } from '../../bas/losses/attention_iou.js';
import { attentionLoss, conceptAttentionLoss, maskAtResolution } from '../../bas/losses/attention_loss.js';
import { maskedMseLoss, unionMask } from '../../bas/losses/masked_loss.js';

/** A random binary mask (h, w) with at least one pixel on. */
function randomMask(gen: Generator, h: number, w: number): number[][] {
  const m = Array.from({ length: h }, () => Array.from({ length: w }, () => (gen.random() < 0.4 ? 1 : 0)));
  m[gen.integer(0, h)]![gen.integer(0, w)] = 1;
  return m;
}

describe('attention loss', () => {
  it('has analytic gradients equal to central differences (generated maps, tokens, masks)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), // res
        fc.integer({ min: 2, max: 5 }), // tokens
        fc.integer({ min: 1, max: 3 }), // concepts
        fc.integer({ min: 0, max: 1e6 }), // seed
        (res, tokens, concepts, seed) => {
          const gen = new Generator(seed);
          // logits -> softmax over tokens, like real cross-attention probabilities
          const logits = gen.randn([res, res, tokens], { dtype: 'float64' }).requires_grad_();
          const positions = Array.from({ length: concepts }, () => gen.integer(0, tokens));
          const maskRes = res * 2;
          const masks = positions.map(() => tensor(randomMask(gen, maskRes, maskRes), { dtype: 'float64' }).reshape([1, maskRes, maskRes]));
          gradcheck((l) => attentionLoss([{ aggregated: softmax(l, -1), tokenIndices: positions, masks }], 0.01), [logits]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('is lambda times the mean per-concept MSE summed over concepts, over the batch size', () => {
    const gen = new Generator(5);
    const agg = softmax(gen.randn([2, 2, 4], { dtype: 'float64' }), -1);
    const m0 = tensor([[1, 0], [0, 0]], { dtype: 'float64' });
    const m1 = tensor([[0, 1], [1, 1]], { dtype: 'float64' });
    const map = (i: number): number[] => Array.from({ length: 4 }, (_, p) => agg.data[p * 4 + i]!);
    const mse = (m: number[], mask: number[]): number => {
      const mx = Math.max(...m);
      return m.reduce((s, v, p) => s + (v / mx - mask[p]!) ** 2, 0) / 4;
    };
    const want = (0.5 * (mse(map(1), [1, 0, 0, 0]) + mse(map(3), [0, 1, 1, 1]))) / 2;
    const got = attentionLoss(
      [
        { aggregated: agg, tokenIndices: [1, 3], masks: [m0, m1] },
        { aggregated: agg, tokenIndices: [], masks: [] },
      ],
      0.5,
    );
    expect(got.item()).toBeCloseTo(want, 12);
  });

  it('resizes masks nearest with PyTorch index rule', () => {
    // 4x4 -> 2x2 takes rows/cols 0 and 2
    const m = tensor([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], { dtype: 'float64' });
    expect(maskAtResolution(m, 2).tolist()).toEqual([[1, 0], [0, 1]]);
  });

  it('gives zero loss for a map that equals the mask up to scale', () => {
    const mask = tensor([[0, 1], [1, 1]], { dtype: 'float64' });
    const agg = mul(mask, 0.3).reshape([2, 2, 1]);
    expect(conceptAttentionLoss(agg, 0, mask).item()).toBe(0);
  });
});

describe('masked diffusion loss', () => {
  it('equals mean((pred*m - target*m)^2) with m the nearest-resized union of the masks', () => {
    const gen = new Generator(9);
    const pred = gen.randn([1, 3, 4, 4], { dtype: 'float64' });
    const target = gen.randn([1, 3, 4, 4], { dtype: 'float64' });
    const a = tensor(randomMask(gen, 8, 8), { dtype: 'float64' }).reshape([1, 8, 8]);
    const b = tensor(randomMask(gen, 8, 8), { dtype: 'float64' }).reshape([1, 8, 8]);
    const m = unionMask([a, b], 4);
    let s = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const mv = Math.max(a.data[y * 2 * 8 + x * 2]!, b.data[y * 2 * 8 + x * 2]!);
          expect(m.data[y * 4 + x]).toBe(mv);
          const i = (c * 4 + y) * 4 + x;
          s += (pred.data[i]! * mv - target.data[i]! * mv) ** 2;
        }
    expect(maskedMseLoss(pred, target, m).item()).toBeCloseTo(s / 48, 12);
    // an all-ones mask is the plain MSE
    expect(maskedMseLoss(pred, target, interpolate(zeros([1, 1, 2, 2], { dtype: 'float64' }).add(1), { size: [4, 4] })).item()).toBeCloseTo(mse_loss(pred, target).item(), 12);
  });
});

describe('attention IoU', () => {
  it('thresholds the map at half its max and the mask at 0.5', () => {
    const map = tensor([[0.9, 0.5], [0.1, 0.2]], { dtype: 'float64' });
    const mask = tensor([[1, 0], [0, 0]], { dtype: 'float64' });
    expect(attentionIoU(map, mask)).toBeCloseTo(1 / 2, 12);
    expect(attentionIoU(map, tensor([[1, 1], [0, 0]], { dtype: 'float64' }))).toBe(1);
  });
});
