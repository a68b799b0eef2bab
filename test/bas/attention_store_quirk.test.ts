// `--attention_store_quirk`: the original's store keeps the second half of the (batch x heads)
// rows and its aggregate_attention splits them into train_batch_size samples. What that selects, on
// maps whose every row holds its own row number, and the attention loss with the switch on checked
// against central differences in float64 (through the tiny UNet, without prior preservation, where
// the switch changes the loss).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { cliSuite } from '../helpers/cli.js';
import { readMetrics, trainArgv } from '../helpers/tiny_model.js';
import { cat, full, Generator, type Tensor } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { gradcheckSetting } from '../../bas/train/gradcheck_setup.js';
import { gradcheckEntries, sampleIndices } from '../../bas/train/loss_gradcheck.js';

const RES = 2;
const TOKENS = 3;

/** (rows, RES^2, TOKENS), row r filled with r. */
function numberedRows(rows: number): Tensor {
  return cat(Array.from({ length: rows }, (_, r) => full([1, RES * RES, TOKENS], r, { dtype: 'float64' })), 0);
}

/** The value aggregate_attention returns for each instance sample (every entry of a map is the same number). */
function selected(quirk: boolean, batch: number, heads: number, instances: number[]): number[] {
  const store = new AttentionStore();
  store.original_quirk = quirk;
  store.num_att_layers = 1;
  store.set_instance_samples(instances, batch);
  store.call(numberedRows(batch * heads), true, 'down');
  return instances.map((_, b) => aggregate_attention(store, RES, ['down'], true, b).data[0]!);
}

describe('attention store quirk: which rows the loss sees', () => {
  it('batch of 1, no prior preservation, 4 heads: the quirk averages heads 2 and 3 only', () => {
    expect(selected(false, 1, 4, [0])).toEqual([1.5]);
    expect(selected(true, 1, 4, [0])).toEqual([2.5]);
  });

  it('with prior preservation ([class, instance], 2 heads) both keep the instance rows 2 and 3', () => {
    expect(selected(false, 2, 2, [1])).toEqual([2.5]);
    expect(selected(true, 2, 2, [1])).toEqual([2.5]);
  });

  it('batch of 2 instances without prior, 2 heads: the quirk gives sample 0 the first head of sample 1', () => {
    // by name: sample 0 = rows 0, 1; sample 1 = rows 2, 3
    expect(selected(false, 2, 2, [0, 1])).toEqual([0.5, 2.5]);
    // quirk: rows 2, 3 (sample 1's heads) reshaped to 2 samples of 1 head
    expect(selected(true, 2, 2, [0, 1])).toEqual([2, 3]);
  });

  it('a second half that does not split into the samples is an error naming the counts, as the original reshape fails', () => {
    expect(() => selected(true, 2, 1, [0, 1])).toThrow(/second half of 2 attention rows \(1\) does not split into 2 samples/);
  });
});

describe('attention store quirk: the loss', () => {
  it('changes the attention loss only without prior preservation', () => {
    const value = (prior: boolean, quirk: boolean): number => gradcheckSetting('tiny', 3, { prior, attention_store_quirk: quirk }).loss().terms.attn_loss!.item();
    expect(value(true, true)).toBe(value(true, false));
    expect(Math.abs(value(false, true) - value(false, false))).toBeGreaterThan(1e-9);
  });

  it('gradcheck: with the quirk and no prior preservation the loss gradient matches central differences (float64)', () => {
    const setting = gradcheckSetting('tiny', 5, { prior: false, attention_store_quirk: true });
    const emb = setting.text_encoder.get_input_embeddings();
    const dim = emb.embedding_dim;
    const pick = new Generator(105);
    const named = new Map(setting.unet.named_parameters());
    const params = [{ name: 'placeholder rows', tensor: emb.weight, indices: setting.placeholder_ids.flatMap((id) => Array.from({ length: dim }, (_, j) => id * dim + j)) }];
    for (const n of ['down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q.weight', 'up_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight']) {
      params.push({ name: n, tensor: named.get(n)!, indices: sampleIndices(named.get(n)!.size, 4, pick) });
    }
    for (const [what, f] of [['attention loss', () => setting.loss().terms.attn_loss!], ['full loss', () => setting.loss().loss]] as const) {
      const { rows } = gradcheckEntries(f, params, { eps: 1e-6, atol: 1e-9, rtol: 1e-4 });
      for (const r of rows) expect(r.ok, `${what}, ${r.name}: max abs error ${r.maxAbsError}`).toBe(true);
      // a real comparison: the attention path moves the placeholder rows and to_q
      expect(Math.max(...rows[0]!.entries.map((e) => Math.abs(e.analytic))), what).toBeGreaterThan(1e-7);
    }
    // the tiny UNet has 2 heads: the store kept one row per map, the second
    const kept = setting.store.get_average_attention().down_cross;
    expect(kept.length).toBeGreaterThan(0);
    for (const m of kept) expect(m.dim(0)).toBe(1);
  });
});

describe('bas train --attention_store_quirk', () => {
  const suite = cliSuite('bas-quirk');

  it('is recorded with the run, and moves the attention loss of a run without prior preservation from its first step', async () => {
    const runs: { quirk: boolean; attn: number }[] = [];
    for (const extra of [[], ['--attention_store_quirk']]) {
      const { out } = suite.caseDir();
      expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), out, ['--phase1_train_steps', '1', '--phase2_train_steps', '0', ...extra])])).toBe(0);
      const config = JSON.parse(readFileSync(join(out, 'train_config.json'), 'utf8')) as { attention_store_quirk: boolean };
      runs.push({ quirk: config.attention_store_quirk, attn: readMetrics(out)[0]!.attn_loss as number });
    }
    expect(runs.map((r) => r.quirk)).toEqual([false, true]);
    expect(Number.isFinite(runs[0]!.attn) && Number.isFinite(runs[1]!.attn)).toBe(true);
    expect(runs[1]!.attn).not.toBe(runs[0]!.attn);
  });
});
