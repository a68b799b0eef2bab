// DDIM sampling releases each step's intermediates: the pipeline runs every denoising step in a
// scope of its own (CarryScope), so sampling inside a caller's tidy() (a training loop's
// validation, the bench's step rows) holds only what the next step needs, not every step's UNet
// activations. Live storages are counted after each step on gpujs-webasm (the CPU backend's host
// memory is not tracked); they must stay flat, with and without attention recording, and with a
// caller's own attention store handed on through step_state (the playground's case).
import { afterEach, describe, expect, it } from 'vitest';
import { getBackend, setBackend, tensor, tidy } from '../../core/index.js';
import { GpuJsBackend } from '../../kernels/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { register_attention_control } from '../../bas/attention/register_attention_control.js';
import { defaultAttnRes, sample, type SampleOptions } from '../../bas/model.js';
import { tinyModel } from '../helpers/tiny_model.js';

afterEach(() => setBackend('cpu'));

const STEPS = 8;

/** Live storages after each step of a sampling run made inside an outer tidy(), and the images. */
function liveAfterSteps(o: Partial<SampleOptions> = {}, extra?: () => void): { live: number[]; images: Float32Array } {
  setBackend('gpujs-webasm');
  const be = getBackend() as GpuJsBackend;
  const m = tinyModel(3);
  const live: number[] = [];
  const images = tidy(() => {
    const out = sample(m, {
      prompt: 'a photo of a red star',
      num_images: 2,
      seed: 5,
      num_inference_steps: STEPS,
      guidance_scale: 3,
      ...o,
      callback: () => {
        extra?.();
        live.push(be.stats().storages);
      },
    });
    return Float32Array.from(out.images.data);
  });
  return { live, images };
}

function expectFlat(live: number[]): void {
  expect(live).toHaveLength(STEPS);
  // the first steps may differ (the attention sums start at step 1); from step 3 on, none may grow
  for (let i = 3; i < STEPS; i++) expect(live[i], `live storages after step ${i + 1} vs step 3`).toBe(live[2]);
}

describe('sampling: memory stays bounded over DDIM steps', () => {
  it('releases each step in a caller tidy scope, with the images of a run outside any scope', () => {
    const { live, images } = liveAfterSteps();
    expectFlat(live);
    const bare = Float32Array.from(sample(tinyModel(3), { prompt: 'a photo of a red star', num_images: 2, seed: 5, num_inference_steps: STEPS, guidance_scale: 3 }).images.data);
    expect(images).toEqual(bare);
  });

  it('blended editing: the image, mask and noise made before the loop outlive every step', () => {
    const image = tensor(Float32Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.sin(i) * 0.9), { shape: [1, 3, 8, 8], dtype: 'float32' });
    const mask = tensor(Float32Array.from({ length: 64 }, (_, i) => (i % 8 < 4 ? 1 : 0)), { shape: [1, 1, 8, 8], dtype: 'float32' });
    const { live, images } = liveAfterSteps({ num_images: 1, edit: { image, mask, strength: 1 } });
    // the last step blends in the clean image instead of a noised one: one op fewer, not more
    expectFlat([...live.slice(0, -1), live[2]!]);
    expect(live[STEPS - 1]).toBeLessThanOrEqual(live[2]!);
    // outside the mask the result is the image (DDIM with eta 0 ends on the clean image there)
    const img = image.data;
    for (let c = 0; c < 3; c++) for (let i = 0; i < 64; i++) if (i % 8 >= 4) expect(images[c * 64 + i]).toBeCloseTo(img[c * 64 + i]!, 5);
  });

  it('hands the recorded attention sums from step to step', () => {
    setBackend('gpujs-webasm');
    const { live } = liveAfterSteps({ record_attention: true });
    expectFlat(live);
    // the recorded maps are still readable after sampling (not released with a step)
    const m = tinyModel(3);
    const out = tidy(() => {
      const r = sample(m, { prompt: 'a photo of a red star', seed: 5, num_inference_steps: 3, guidance_scale: 3, record_attention: true });
      return Float32Array.from(r.attention!.data);
    });
    expect(out.length).toBeGreaterThan(0);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it("keeps a caller's own attention store through step_state", () => {
    setBackend('gpujs-webasm');
    const m = tinyModel(3);
    const store = new AttentionStore();
    const previous = register_attention_control(m.unet, store);
    store.set_instance_samples([1], 2);
    const res = defaultAttnRes(m);
    const be = getBackend() as GpuJsBackend;
    const live: number[] = [];
    let final: Float32Array;
    try {
      final = tidy(() => {
        sample(m, {
          prompt: 'a photo of a red star',
          seed: 5,
          num_inference_steps: STEPS,
          guidance_scale: 3,
          step_state: () => store.held_tensors(),
          // reading the running sums every step throws if an earlier step released them
          callback: () => {
            tidy(() => void aggregate_attention(store, res, ['up', 'down'], true, 0).data);
            live.push(be.stats().storages);
          },
        });
        return Float32Array.from(aggregate_attention(store, res, ['up', 'down'], true, 0).data);
      });
    } finally {
      m.unet.set_attn_processor(previous);
    }
    expectFlat(live);
    expect(final.length).toBeGreaterThan(0);
    expect(final.every(Number.isFinite)).toBe(true);
  });
});
