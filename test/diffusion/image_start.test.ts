// Sampling from an image: img2img's strength keeps the right timesteps and starts from the image
// noised with the drawn noise (diffusers' get_timesteps and prepare_latents), and blended editing
// keeps the image exactly outside the mask while an oracle UNet's target is drawn inside it.
import { describe, expect, it } from 'vitest';
import { Generator, tensor, type Tensor } from '../../core/index.js';
import { DDIMScheduler, SD_SCHEDULER_CONFIG, TextToImagePipeline, type UNetLike } from '../../diffusion/index.js';
import { expectClose } from './helpers.js';

const encodePrompt = (prompts: string[]): Tensor => tensor(new Array(prompts.length * 2).fill(1), { dtype: 'float64', shape: [prompts.length, 1, 2] });
const IMAGE = [0.5, -0.25, 0.75, -1, 0, 0.9, -0.6, 0.1];
const image = (): Tensor => tensor(IMAGE, { dtype: 'float64', shape: [1, 2, 2, 2] });

/** The exact eps for a target x0 at (x, t), the same for both guidance branches. */
function oracle(target: ArrayLike<number>, ac: ArrayLike<number>, seen: { t: number; x: number[] }[] = []): UNetLike {
  return {
    forward: (x, t) => {
      seen.push({ t, x: [...x.data] });
      const per = target.length;
      return { sample: tensor(Array.from(x.data, (v, i) => (v - Math.sqrt(ac[t]!) * target[i % per]!) / Math.sqrt(1 - ac[t]!)), { dtype: 'float64', shape: x.shape }) };
    },
  };
}

describe('sampling from an image', () => {
  it('strength keeps the last floor(n * strength) timesteps and starts from the noised image', () => {
    const scheduler = new DDIMScheduler({ ...SD_SCHEDULER_CONFIG, set_alpha_to_one: true });
    const seen: { t: number; x: number[] }[] = [];
    const pipe = new TextToImagePipeline({ unet: oracle(IMAGE, scheduler.alphas_cumprod, seen), encodePrompt, scheduler, channels: 2, sample_size: 2 });
    const noise = new Generator(5).randn([1, 2, 2, 2], { dtype: 'float64' });
    const out = pipe.generate({ prompt: 'p', num_inference_steps: 10, image: image(), strength: 0.55, latents: noise, guidance_scale: 1 });
    // 10 steps 901 ... 1; floor(5.5) = 5 kept
    expect(seen.map((s) => s.t)).toEqual([401, 301, 201, 101, 1]);
    const a = scheduler.alphas_cumprod[401]!;
    expectClose(seen[0]!.x, IMAGE.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise.data[i]!), 1e-12);
    // the oracle's target is the image itself, so DDIM (stepping to abar = 1 at the end) returns it
    expectClose(out.images, IMAGE, 1e-9);
  });

  it('blended editing keeps the image outside the mask exactly and draws the target inside', () => {
    const scheduler = new DDIMScheduler({ ...SD_SCHEDULER_CONFIG, set_alpha_to_one: true });
    const target = [0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4];
    const pipe = new TextToImagePipeline({ unet: oracle(target, scheduler.alphas_cumprod), encodePrompt, scheduler, channels: 2, sample_size: 2 });
    // draw in the top row only; two images per prompt from different noise
    const mask = tensor([1, 1, 0, 0], { dtype: 'float64', shape: [1, 1, 2, 2] });
    const out = pipe.generate({ prompt: 'p', num_images_per_prompt: 2, num_inference_steps: 20, image: image(), mask_image: mask, generator: new Generator(3) });
    const inside = (i: number): boolean => i % 4 < 2;
    const expected = [0, 1].flatMap(() => IMAGE.map((v, i) => (inside(i) ? target[i]! : v)));
    expectClose(out.images, expected, 1e-9);
    // outside the mask not merely close: the image's own values
    for (let i = 0; i < 16; i++) if (!inside(i % 8)) expect(out.latents.data[i]).toBe(IMAGE[i % 8]);
  });

  it('names what is wrong: a mask without an image, shapes, strength', () => {
    const scheduler = new DDIMScheduler({ ...SD_SCHEDULER_CONFIG, set_alpha_to_one: true });
    const pipe = new TextToImagePipeline({ unet: oracle(IMAGE, scheduler.alphas_cumprod), encodePrompt, scheduler, channels: 2, sample_size: 2 });
    const mask = tensor([1, 1, 0, 0], { dtype: 'float64', shape: [1, 1, 2, 2] });
    expect(() => pipe.generate({ prompt: 'p', mask_image: mask })).toThrow('mask_image needs the image it edits (image)');
    expect(() => pipe.generate({ prompt: 'p', image: tensor([0, 0, 0, 0], { dtype: 'float64', shape: [1, 1, 2, 2] }) })).toThrow('image of shape [1, 1, 2, 2], expected [1 or 1, 2, 2, 2]');
    expect(() => pipe.generate({ prompt: 'p', image: image(), mask_image: tensor([1, 1], { dtype: 'float64', shape: [1, 1, 1, 2] }) })).toThrow(/mask_image of shape \[1, 1, 1, 2\]/);
    expect(() => pipe.generate({ prompt: 'p', image: image(), strength: 0 })).toThrow('strength must be in (0, 1], got 0');
    expect(() => pipe.generate({ prompt: 'p', image: image(), strength: 1.5 })).toThrow('strength must be in (0, 1], got 1.5');
    expect(() => pipe.generate({ prompt: 'p', image: image(), strength: 0.05, num_inference_steps: 10 })).toThrow(/runs no step/);
  });
});
