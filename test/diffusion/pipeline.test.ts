import { describe, expect, it } from 'vitest';
import { Generator, isGradEnabled, tensor, type Tensor } from '../../core/index.js';
import {
  DDIMScheduler,
  DDPMScheduler,
  guide,
  rescale_noise_cfg,
  SD_SCHEDULER_CONFIG,
  TextToImagePipeline,
  to_uint8_images,
  type SchedulerLike,
  type StepInfo,
  type UNetLike,
} from '../../diffusion/index.js';
import { expectClose, zipMap } from './helpers.js';

const L = 2;
const D = 3;
/** Prompt -> (L, D) filled with a code: "" -> 0, otherwise its length. */
function encodePrompt(calls: string[][]): (prompts: string[]) => Tensor {
  return (prompts) => {
    calls.push([...prompts]);
    return tensor(prompts.flatMap((p) => new Array<number>(L * D).fill(p.length)), { dtype: 'float64', shape: [prompts.length, L, D] });
  };
}

interface UNetCall {
  batch: number;
  t: number;
  codes: number[];
  gradEnabled: boolean;
}

/** eps_hat = 0.1 x + code(prompt row): a different value per branch, linear in the sample. */
function stubUNet(calls: UNetCall[]): UNetLike {
  return {
    forward(sample, t, ehs) {
      const b = sample.shape[0]!;
      const codes = ehs.mean([1, 2]);
      calls.push({ batch: b, t, codes: [...codes.data], gradEnabled: isGradEnabled() });
      return { sample: sample.mul(0.1).add(codes.reshape([b, 1, 1, 1])) };
    },
  };
}

/** A scheduler that records what it is given and moves x by -0.01 * model_output. */
function recordingScheduler(log: { t: number; model_output: number[]; sample: number[] }[]): SchedulerLike {
  return {
    timesteps: [30, 20, 10],
    init_noise_sigma: 1,
    set_timesteps() {},
    scale_model_input: (x) => x,
    step(model_output, t, sample) {
      log.push({ t, model_output: [...model_output.data], sample: [...sample.data] });
      return { prev_sample: sample.sub(model_output.mul(0.01)) };
    },
  };
}

describe('TextToImagePipeline', () => {
  it('runs the UNet on [uncond, cond] and hands the scheduler uncond + g (cond - uncond)', () => {
    const unetCalls: UNetCall[] = [];
    const prompts: string[][] = [];
    const log: { t: number; model_output: number[]; sample: number[] }[] = [];
    const pipe = new TextToImagePipeline({ unet: stubUNet(unetCalls), encodePrompt: encodePrompt(prompts), scheduler: recordingScheduler(log), channels: 3, sample_size: 4 });
    const g = 5;
    const out = pipe.generate({ prompt: ['abcd', 'xy'], guidance_scale: g, generator: new Generator(0) });
    expect(prompts).toEqual([['abcd', 'xy'], ['', '']]);
    expect(unetCalls.map((c) => c.t)).toEqual([30, 20, 10]);
    for (const c of unetCalls) {
      expect(c.batch).toBe(4);
      expect(c.codes).toEqual([0, 0, 4, 2]); // uncond rows first
      expect(c.gradEnabled).toBe(false);
    }
    expect(log.length).toBe(3);
    for (const step of log) {
      const per = step.sample.length / 2;
      const code = (i: number): number => (Math.floor(i / per) === 0 ? 4 : 2);
      // 0.1 x + 0 + g (code - 0)
      expectClose(step.model_output, step.sample.map((x, i) => 0.1 * x + g * code(i)), 1e-12);
    }
    expect(out.images.shape).toEqual([2, 3, 4, 4]);
    expect(out.latents.shape).toEqual([2, 3, 4, 4]);
  });

  it('guidance_scale <= 1 skips the unconditional branch', () => {
    const unetCalls: UNetCall[] = [];
    const prompts: string[][] = [];
    const log: { t: number; model_output: number[]; sample: number[] }[] = [];
    const pipe = new TextToImagePipeline({ unet: stubUNet(unetCalls), encodePrompt: encodePrompt(prompts), scheduler: recordingScheduler(log), channels: 1, sample_size: 2 });
    pipe.generate({ prompt: 'abc', guidance_scale: 1 });
    expect(prompts).toEqual([['abc']]);
    expect(unetCalls.every((c) => c.batch === 1 && c.codes[0] === 3)).toBe(true);
    for (const step of log) expectClose(step.model_output, step.sample.map((x) => 0.1 * x + 3), 1e-12);
  });

  it('uses the negative prompt and repeats embeddings per image, prompt-major', () => {
    const unetCalls: UNetCall[] = [];
    const prompts: string[][] = [];
    const pipe = new TextToImagePipeline({ unet: stubUNet(unetCalls), encodePrompt: encodePrompt(prompts), scheduler: recordingScheduler([]), channels: 1, sample_size: 2 });
    const out = pipe.generate({ prompt: ['a', 'bb'], negative_prompt: ['nnn', 'nnnnn'], num_images_per_prompt: 2 });
    expect(prompts).toEqual([['a', 'bb'], ['nnn', 'nnnnn']]);
    expect(unetCalls[0]!.codes).toEqual([3, 3, 5, 5, 1, 1, 2, 2]);
    expect(out.images.shape).toEqual([4, 1, 2, 2]);
    expect(() => pipe.generate({ prompt: ['a', 'bb'], negative_prompt: 'n' })).toThrow(/negative prompts/);
  });

  it('is deterministic for a seed (DDIM and DDPM, whose steps draw noise too)', () => {
    for (const scheduler of [new DDIMScheduler(SD_SCHEDULER_CONFIG), new DDPMScheduler({ ...SD_SCHEDULER_CONFIG, clip_sample: false })]) {
      const pipe = new TextToImagePipeline({ unet: stubUNet([]), encodePrompt: encodePrompt([]), scheduler, channels: 3, sample_size: 4 });
      const run = (seed: number): number[] => [...pipe.generate({ prompt: 'a red circle', num_inference_steps: 10, generator: new Generator(seed) }).latents.data];
      const a = run(7);
      expect(run(7)).toEqual(a);
      expect(run(8)).not.toEqual(a);
      expect(a.every(Number.isFinite)).toBe(true);
    }
  });

  it('records no graph even when the UNet has trainable weights', () => {
    const w = tensor([0.5], { dtype: 'float64' }).requires_grad_();
    const unet: UNetLike = { forward: (x) => ({ sample: x.mul(w) }) };
    const pipe = new TextToImagePipeline({ unet, encodePrompt: encodePrompt([]), scheduler: new DDIMScheduler(SD_SCHEDULER_CONFIG), channels: 1, sample_size: 2 });
    const out = pipe.generate({ prompt: 'x', num_inference_steps: 3, generator: new Generator(1) });
    expect(out.latents.requires_grad).toBe(false);
    expect(out.latents.grad_fn).toBeNull();
    expect(isGradEnabled()).toBe(true);
  });

  it('calls back every callback_steps steps with the step state', () => {
    const infos: StepInfo[] = [];
    const scheduler = new DDIMScheduler(SD_SCHEDULER_CONFIG);
    const pipe = new TextToImagePipeline({ unet: stubUNet([]), encodePrompt: encodePrompt([]), scheduler, channels: 1, sample_size: 2 });
    const out = pipe.generate({ prompt: 'x', num_inference_steps: 5, callback: (i) => infos.push(i), callback_steps: 2, generator: new Generator(2) });
    expect(infos.map((i) => i.step)).toEqual([0, 2, 4]);
    expect(infos.map((i) => i.timestep)).toEqual([801, 401, 1]);
    expect(infos[2]!.latents).toBe(out.latents);
    expect(infos[0]!.pred_original_sample?.shape).toEqual([1, 1, 2, 2]);
  });

  it('with an oracle UNet and DDIM, samples land on the target image', () => {
    const x0 = [0.5, -0.25, 0.75, -1, 0, 0.9, -0.6, 0.1];
    for (const set_alpha_to_one of [true, false]) {
      const scheduler = new DDIMScheduler({ ...SD_SCHEDULER_CONFIG, set_alpha_to_one });
      const ac = scheduler.alphas_cumprod;
      // the exact eps for x0 at (x, t); both branches agree, so guidance returns it unchanged
      const unet: UNetLike = {
        forward: (x, t) => {
          const per = x0.length;
          return { sample: tensor(Array.from(x.data, (v, i) => (v - Math.sqrt(ac[t]!) * x0[i % per]!) / Math.sqrt(1 - ac[t]!)), { dtype: 'float64', shape: x.shape }) };
        },
      };
      const pipe = new TextToImagePipeline({ unet, encodePrompt: encodePrompt([]), scheduler, channels: 2, sample_size: 2 });
      const z = new Generator(9).randn([1, 2, 2, 2], { dtype: 'float64' });
      const out = pipe.generate({ prompt: 'p', latents: z });
      if (set_alpha_to_one) {
        expectClose(out.images, x0, 1e-9);
      } else {
        // deterministic DDIM stays on the ray of the initial eps; the last step stops at abar = alphas_cumprod[0]
        const aT = ac[981]!;
        const eps = zipMap([z.data, x0], (zi, xi) => (zi - Math.sqrt(aT) * xi) / Math.sqrt(1 - aT));
        expectClose(out.latents, zipMap([x0, eps], (xi, e) => Math.sqrt(ac[0]!) * xi + Math.sqrt(1 - ac[0]!) * e), 1e-9);
      }
    }
  });

  it('clamps images to [-1, 1] but returns the raw latents; checks the latents shape', () => {
    const unet: UNetLike = { forward: (x) => ({ sample: x.mul(0).sub(3) }) };
    const pipe = new TextToImagePipeline({ unet, encodePrompt: encodePrompt([]), scheduler: recordingScheduler([]), channels: 3, sample_size: 2 });
    const out = pipe.generate({ prompt: 'p', latents: tensor(new Array(12).fill(0.99), { dtype: 'float64', shape: [1, 3, 2, 2] }) });
    expect(Math.max(...out.latents.data)).toBeGreaterThan(1);
    expect(Math.max(...out.images.data)).toBe(1);
    expect(to_uint8_images(out.images)[0]!.data.every((v) => v === 255)).toBe(true);
    expect(() => pipe.generate({ prompt: 'p', latents: tensor([0], { shape: [1, 1, 1, 1] }) })).toThrow(/latents of shape/);
  });

  it('guide() is uncond + g (cond - uncond)', () => {
    const u = tensor([1, 2]);
    const c = tensor([3, 0]);
    expect([...guide(u, c, 7.5).data]).toEqual([1 + 7.5 * 2, 2 - 7.5 * 2]);
  });

  it('rescale_noise_cfg: each sample scaled to the conditional std (unbiased, over C, H, W), mixed by guidance_rescale', () => {
    const gen = new Generator(5);
    const shape = [3, 2, 3, 4];
    const cfg = gen.randn(shape, { dtype: 'float64' }).mul(3).add(0.5);
    const text = gen.randn(shape, { dtype: 'float64' });
    const n = 2 * 3 * 4;
    // an independent float64 reference, sample by sample
    const std = (v: readonly number[]): number => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    };
    for (const r of [0, 0.7, 1]) {
      const want: number[] = [];
      for (let b = 0; b < 3; b++) {
        const c = [...cfg.data].slice(b * n, (b + 1) * n);
        const ratio = std([...text.data].slice(b * n, (b + 1) * n)) / std(c);
        want.push(...c.map((x) => r * x * ratio + (1 - r) * x));
      }
      expectClose([...rescale_noise_cfg(cfg, text, r).data], want, 1e-12);
    }
    // at 1 every sample's spread is the conditional one's
    const full = rescale_noise_cfg(cfg, text, 1);
    for (let b = 0; b < 3; b++) expect(std([...full.data].slice(b * n, (b + 1) * n))).toBeCloseTo(std([...text.data].slice(b * n, (b + 1) * n)), 12);
  });

  it("eta reaches DDIM's step: the run equals a hand loop drawing the same variance noise, and eta 0 is a different, noise-free path", () => {
    const scheduler = (): DDIMScheduler => DDIMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, num_train_timesteps: 1000 });
    const unet: UNetLike = { forward: (x) => ({ sample: x.mul(0.3) }) };
    const z = new Generator(4).randn([2, 3, 4, 4], { dtype: 'float64' });
    const run = (eta: number): Tensor => new TextToImagePipeline({ unet, encodePrompt: encodePrompt([]), scheduler: scheduler(), channels: 3, sample_size: 4 }).generate({ prompt: 'p', num_images_per_prompt: 2, num_inference_steps: 5, guidance_scale: 1, eta, latents: z, generator: new Generator(11) }).latents;
    // the hand loop: the latents are given, so the generator draws only each step's variance noise
    const s = scheduler();
    s.set_timesteps(5);
    const gen = new Generator(11);
    let x = z;
    for (const t of s.timesteps) x = s.step(x.mul(0.3), t, x, { eta: 1, generator: gen }).prev_sample;
    expectClose(run(1), [...x.data], 1e-12);
    const deterministic = run(0);
    expectClose(deterministic, [...run(0).data], 0);
    expect(Math.max(...zipMap([deterministic.data, x.data], (a, b) => Math.abs(a - b)))).toBeGreaterThan(1e-3);
  });

  it('guidance_rescale: the scheduler gets the guided prediction rescaled; out of [0, 1] is an error', () => {
    const log: { t: number; model_output: number[]; sample: number[] }[] = [];
    // eps_hat = (1 + code) x: the conditional branch ("abcd") 5x, the unconditional x, so guidance widens the spread
    const unet: UNetLike = {
      forward: (sample, _t, ehs) => ({ sample: sample.mul(ehs.mean([1, 2]).add(1).reshape([sample.shape[0]!, 1, 1, 1])) }),
    };
    const pipe = new TextToImagePipeline({ unet, encodePrompt: encodePrompt([]), scheduler: recordingScheduler(log), channels: 3, sample_size: 4 });
    pipe.generate({ prompt: 'abcd', guidance_scale: 5, guidance_rescale: 0.6, generator: new Generator(0) });
    expect(log.length).toBe(3);
    for (const step of log) {
      // guided: x + 5 (5x - x) = 21x, rescaled to the spread of 5x: 0.6 * 5x + 0.4 * 21x
      expectClose(step.model_output, step.sample.map((x) => 0.6 * 5 * x + 0.4 * 21 * x), 1e-10);
    }
    expect(() => pipe.generate({ prompt: 'p', guidance_scale: 5, guidance_rescale: 1.5 })).toThrow('guidance_rescale must be in [0, 1], got 1.5');
  });
});
