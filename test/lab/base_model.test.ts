// The shipped base model (models/base): within the 20 MB budget, in the pipeline layout, the
// `default` architecture, loaded by default without the random-model warning, and it samples.
// Skips with a printed reason in a checkout that has none (CI has it: it is committed).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBaseModel, sample, shippedBaseModel } from '../../bas/model.js';
import { unetConfig } from '../../nn/index.js';

const SHIPPED_BASE_MODEL = shippedBaseModel() ?? '(none on this platform)';
const present = existsSync(join(SHIPPED_BASE_MODEL, 'model_index.json'));
if (!present) console.log(`skipping: no shipped base model at ${SHIPPED_BASE_MODEL}`);

function bytesUnder(dir: string): number {
  return readdirSync(dir).reduce((s, n) => {
    const p = join(dir, n);
    const st = statSync(p);
    return s + (st.isDirectory() ? bytesUnder(p) : st.size);
  }, 0);
}

describe.skipIf(!present)('the shipped base model', () => {
  it('is at most 20 MB, in the pipeline layout', () => {
    expect(bytesUnder(SHIPPED_BASE_MODEL)).toBeLessThanOrEqual(20 * 1024 * 1024);
    for (const f of ['model_index.json', 'unet/config.json', 'unet/diffusion_pytorch_model.safetensors', 'text_encoder/config.json', 'text_encoder/model.safetensors', 'scheduler/scheduler_config.json']) {
      expect(existsSync(join(SHIPPED_BASE_MODEL, f)), f).toBe(true);
    }
  });

  it('is the default when no model is named, with no warning, of the default architecture, and samples finite images', () => {
    const warnings: string[] = [];
    const m = loadBaseModel(undefined, 0, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    const want = unetConfig('default');
    for (const k of ['sample_size', 'block_out_channels', 'down_block_types', 'up_block_types', 'cross_attention_dim'] as const) {
      expect(m.unet.config[k], k).toEqual(want[k]);
    }
    const out = sample(m, { prompt: 'a photo of a red circle', seed: 0, num_inference_steps: 3, guidance_scale: 4 });
    expect(out.images.shape).toEqual([1, 3, 32, 32]);
    expect(Array.from(out.images.data).every(Number.isFinite)).toBe(true);
  });
});
