import { describe, expect, it } from 'vitest';
import { Generator, tensor, type Tensor } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import type { PlaceInUnet } from '../../bas/attention/attention_control.js';

// A fake UNet pass: the layers (place, is_cross, pixels) a tiny model would call the controller with.
const LAYERS: [PlaceInUnet, boolean, number][] = [
  ['down', false, 4],
  ['down', true, 4],
  ['mid', false, 1],
  ['mid', true, 1],
  ['up', false, 4],
  ['up', true, 4],
];

function pass(store: AttentionStore, gen: Generator, batch: number, heads: number, tokens: number): Tensor[] {
  return LAYERS.map(([place, cross, pixels]) => {
    const attn = gen.rand([batch * heads, pixels, cross ? tokens : pixels], { dtype: 'float64' });
    store.call(attn, cross, place);
    return attn;
  });
}

describe('AttentionStore', () => {
  it('counts layers into steps and averages the stored maps over steps', () => {
    const store = new AttentionStore();
    store.num_att_layers = LAYERS.length;
    const gen = new Generator(3);
    const steps = [pass(store, gen, 1, 2, 5), pass(store, gen, 1, 2, 5), pass(store, gen, 1, 2, 5)];
    expect(store.cur_step).toBe(3);
    expect(store.cur_att_layer).toBe(0);
    const avg = store.get_average_attention();
    expect(avg.down_cross).toHaveLength(1);
    expect(avg.mid_self).toHaveLength(1);
    const want = steps.map((s) => s[1]!.data);
    const got = avg.down_cross[0]!.data;
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo((want[0]![i]! + want[1]![i]! + want[2]![i]!) / 3, 12);
    store.reset();
    expect(store.cur_step).toBe(0);
    expect(store.get_average_attention().down_cross).toHaveLength(0);
  });

  it('counts a partial pass as no step', () => {
    const store = new AttentionStore();
    store.num_att_layers = LAYERS.length;
    store.call(new Generator(1).rand([2, 4, 4], { dtype: 'float64' }), false, 'down');
    expect(store.cur_step).toBe(0);
    expect(store.cur_att_layer).toBe(1);
    expect(store.step_store.down_self).toHaveLength(1);
  });

  it('keeps only maps of at most 32x32 pixels', () => {
    const store = new AttentionStore();
    store.num_att_layers = 2;
    store.call(new Generator(1).rand([1, 64 * 64, 3]), true, 'down');
    store.call(new Generator(1).rand([1, 32 * 32, 3]), true, 'down');
    expect(store.get_average_attention().down_cross.map((t) => t.dim(1))).toEqual([1024]);
  });

  it('keeps the rows of the named instance samples, whatever the batch layout', () => {
    const store = new AttentionStore();
    store.num_att_layers = 1;
    // batch of 2 (class sample 0, instance sample 1), 3 heads: rows b*3 + h
    store.set_instance_samples([1], 2);
    const attn = tensor(Array.from({ length: 6 }, (_, r) => [[r]]), { dtype: 'float64' });
    store.call(attn, true, 'up');
    expect(store.get_average_attention().up_cross[0]!.tolist()).toEqual([[[3]], [[4]], [[5]]]);
  });

  it('keeps the gradient path from the stored maps to the attention', () => {
    const store = new AttentionStore();
    store.num_att_layers = 1;
    const attn = new Generator(2).rand([2, 4, 3], { dtype: 'float64' }).requires_grad_();
    store.call(attn, true, 'down');
    aggregate_attention(store, 2, ['down'], true, 0).sum().backward();
    expect(attn.grad).not.toBeNull();
    // each of the 2 heads x 4 pixels x 3 tokens entries gets 1/2 (mean over 2 heads)
    expect([...attn.grad!.data]).toEqual(new Array(24).fill(0.5));
  });
});

describe('aggregate_attention', () => {
  it('matches a hand computation on a tiny case', () => {
    const store = new AttentionStore();
    store.num_att_layers = 3;
    // 1 instance sample, 2 heads, res 1 (1 pixel), 2 tokens; two layers at res 1 (down, up), one mid
    store.call(tensor([[[1, 2]], [[3, 4]]], { dtype: 'float64' }), true, 'down');
    store.call(tensor([[[100, 100]], [[100, 100]]], { dtype: 'float64' }), true, 'mid');
    store.call(tensor([[[5, 6]], [[7, 8]]], { dtype: 'float64' }), true, 'up');
    // average over layers (down, up) and heads: ((1+3+5+7)/4, (2+4+6+8)/4)
    const agg = aggregate_attention(store, 1, ['up', 'down'], true, 0);
    expect(agg.shape).toEqual([1, 1, 2]);
    expect(agg.tolist()).toEqual([[[4, 5]]]);
  });

  it('selects one instance sample of several', () => {
    const store = new AttentionStore();
    store.num_att_layers = 1;
    store.set_instance_samples([0, 1], 2);
    // 2 samples x 1 head, res 1, 1 token
    store.call(tensor([[[2]], [[9]]], { dtype: 'float64' }), true, 'up');
    expect(aggregate_attention(store, 1, ['up'], true, 1).item()).toBe(9);
    expect(aggregate_attention(store, 1, ['up'], true, 0).item()).toBe(2);
  });

  it('says so when nothing was stored at the resolution', () => {
    const store = new AttentionStore();
    store.num_att_layers = 1;
    store.call(tensor([[[1]]], { dtype: 'float64' }), true, 'up');
    expect(() => aggregate_attention(store, 16, ['up', 'down'], true, 0)).toThrow(/no stored cross-attention maps at 16x16/);
  });
});
