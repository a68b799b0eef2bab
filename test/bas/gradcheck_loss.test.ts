// `bas gradcheck`: the full Break-A-Scene loss through a float64 tiny UNet and text encoder passes,
// the attention loss alone passes for generated prompts (token order, flips) and carries a real
// gradient, and a gradient error planted in the attention path is caught by the command itself.
import * as fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { fromOp, Generator, mul, type Tensor } from '../../core/index.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import type { PlaceInUnet } from '../../bas/attention/attention_control.js';
import { main } from '../../cli/main.js';
import { gradcheckSetting } from '../../bas/train/gradcheck_setup.js';
import { gradcheckEntries, sampleIndices } from '../../bas/train/loss_gradcheck.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';

const { logs } = captureConsoleEachTest();

/** The placeholder rows and sampled entries of the cross-attention projections and a conv. */
function attentionParams(seed: number): { setting: ReturnType<typeof gradcheckSetting>; params: { name: string; tensor: Tensor; indices: number[] }[] } {
  const setting = gradcheckSetting('tiny', seed);
  const emb = setting.text_encoder.get_input_embeddings();
  const dim = emb.embedding_dim;
  const pick = new Generator(seed + 100);
  const named = new Map(setting.unet.named_parameters());
  const params = [{ name: 'placeholder rows', tensor: emb.weight, indices: setting.placeholder_ids.flatMap((id) => Array.from({ length: dim }, (_, j) => id * dim + j)) }];
  for (const n of ['down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q.weight', 'up_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight', 'conv_in.weight']) {
    const t = named.get(n);
    if (!t) throw new Error(`tiny UNet has no ${n}`);
    params.push({ name: n, tensor: t, indices: sampleIndices(t.size, 4, pick) });
  }
  return { setting, params };
}

/** Stores every attention map through an identity whose backward is 1.5x too large; the UNet's own path stays right. */
function plantWrongAttentionGradient(): void {
  const original = AttentionStore.prototype.forward;
  vi.spyOn(AttentionStore.prototype, 'forward').mockImplementation(function (this: AttentionStore, attn: Tensor, is_cross: boolean, place: PlaceInUnet) {
    const planted = fromOp(attn.storage, attn.shape, 'PlantedBackward', [attn], (g) => [mul(g, 1.5)]);
    original.call(this, planted, is_cross, place);
    return attn;
  });
}

describe('bas gradcheck', () => {
  it('passes on the full loss (masked diffusion + prior + attention) through the float64 tiny UNet', async () => {
    expect(await main(['gradcheck'])).toBe(0);
    const ok = logs.find((l) => l.startsWith('ok: '));
    expect(ok, logs.join('\n')).toMatch(/^ok: \d+ entries in \d+ parameters agree/);
    // every kind of weight shows up in the table, beside the placeholder rows
    const table = logs.find((l) => l.startsWith('| parameter'))!;
    for (const k of ['placeholder embeddings', 'attn2.to_k.weight', 'attn2.to_v.weight', 'conv_in.weight', 'conv_out.weight']) expect(table).toContain(k);
  });

  it('passes on the attention loss alone for generated prompts, with a gradient that is not zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const { setting, params } = attentionParams(seed);
        const { rows } = gradcheckEntries(() => setting.loss().terms.attn_loss!, params, { eps: 1e-6, atol: 1e-9, rtol: 1e-4 });
        for (const r of rows) expect(r.ok, `${r.name}: max abs error ${r.maxAbsError}`).toBe(true);
        // the check compares real numbers: the attention loss moves the placeholder rows and to_q/to_k
        for (const r of rows.slice(0, 3)) expect(Math.max(...r.entries.map((e) => Math.abs(e.analytic))), r.name).toBeGreaterThan(1e-7);
      }),
      { numRuns: 3, seed: 42 },
    );
  });

  it('catches a gradient error planted in the stored attention maps', async () => {
    plantWrongAttentionGradient();
    // the attention loss alone: clearly wrong
    const { setting, params } = attentionParams(0);
    const { rows } = gradcheckEntries(() => setting.loss().terms.attn_loss!, params);
    expect(rows[0]!.ok).toBe(false);
    expect(rows[0]!.entries.some((e) => Math.abs(e.analytic - 1.5 * e.numeric) < 1e-6 * Math.max(1, Math.abs(e.numeric)) && Math.abs(e.numeric) > 1e-7)).toBe(true);
    // and the command, on the full loss at lambda 1e-2, fails with exit 1
    logs.length = 0;
    expect(await main(['gradcheck'])).toBe(1);
    expect(logs.some((l) => l.startsWith('MISMATCH: '))).toBe(true);
    expect(logs.some((l) => l.startsWith('ok: '))).toBe(false);
  });
});
