// Text-to-image sampling with classifier-free guidance, written against small interfaces (any
// UNet-like model, any prompt encoder, any scheduler with diffusers' step API) so it does not
// depend on nn's concrete classes. The project samples in pixel space: the denoised `latents`
// are the image and `decode_latents` is the identity; a latent model plugs in a VAE decoder there
// and passes latent sizes as height/width/channels.
import { startFrom } from './image_start.js';
import { add, CarryScope, cat, chunk, default_generator, div, index_select, mean, mul, no_grad, sqrt, sub, sum, type DType, type Generator, type Tensor } from '../core/index.js';

/** The UNet call the loop makes: noise prediction for a batch at one timestep. */
export interface UNetLike {
  forward(sample: Tensor, timestep: number, encoder_hidden_states: Tensor): { sample: Tensor };
}

/** prompts -> encoder hidden states (N, L, D), one row per prompt. */
export type PromptEncoder = (prompts: string[]) => Tensor;

/** The scheduler surface the loop uses (DDIMScheduler and DDPMScheduler have it). */
export interface SchedulerLike {
  readonly timesteps: readonly number[];
  readonly init_noise_sigma: number;
  set_timesteps(num_inference_steps: number): void;
  scale_model_input(sample: Tensor, timestep: number): Tensor;
  step(model_output: Tensor, timestep: number, sample: Tensor, opts?: { generator?: Generator; eta?: number }): { prev_sample: Tensor; pred_original_sample?: Tensor };
  /** Forward noising q(x_t | x_0); needed only to start from an image (img2img, blended editing). */
  add_noise?(original_samples: Tensor, noise: Tensor, timesteps: number): Tensor;
}

export interface TextToImageComponents {
  unet: UNetLike;
  encodePrompt: PromptEncoder;
  scheduler: SchedulerLike;
  /** Channels of the UNet's working space (its in_channels: 3 for this project's pixel-space model). */
  channels: number;
  /** Default height/width of the working grid (the UNet config's sample_size). */
  sample_size: number;
  /** Working space -> image in [-1, 1]; identity in pixel space. */
  decode_latents?: (latents: Tensor) => Tensor;
}

/** What the callback sees after each step (in the loop's no-grad mode). */
export interface StepInfo {
  /** 0-based index of the step. */
  step: number;
  timestep: number;
  /** x_{t-1}, after this step. */
  latents: Tensor;
  /** The guided noise prediction the scheduler received. */
  noise_pred: Tensor;
  pred_original_sample?: Tensor;
}

export interface TextToImageOptions {
  prompt: string | string[];
  /** For the unconditional branch of guidance; "" by default, as in the original. */
  negative_prompt?: string | string[];
  height?: number;
  width?: number;
  num_inference_steps?: number;
  /** 7.5 by default; <= 1 turns guidance off (no unconditional branch). */
  guidance_scale?: number;
  /**
   * diffusers' guidance_rescale, in [0, 1]: 0 by default (off). Pulls the guided prediction's
   * spread back to the conditional one's (rescale_noise_cfg), against the over-saturated colours
   * strong guidance gives a v-prediction model.
   */
  guidance_rescale?: number;
  num_images_per_prompt?: number;
  /** DDIM's eta (ignored by schedulers without one). */
  eta?: number;
  /** Draws the initial noise and any noise the scheduler adds. */
  generator?: Generator;
  /** Initial noise to use instead of drawing it, (N, C, H, W). */
  latents?: Tensor;
  /** dtype of the initial noise; the prompt embeddings' dtype by default. */
  dtype?: DType;
  /**
   * Start from this image, (N or 1, C, H, W) in [-1, 1], noised to the first timestep that
   * `strength` keeps (diffusers' img2img) instead of from pure noise.
   */
  image?: Tensor;
  /** Share of the schedule run from the noised `image`, in (0, 1]; 1 by default (almost pure noise). */
  strength?: number;
  /**
   * Blended editing (Avrahami et al.'s blended diffusion, in pixel space): (N or 1, 1, H, W) in
   * [0, 1], 1 where the prompt draws. Needs `image`. After every step the sample outside the mask
   * is replaced by the image noised to that step, so the prompt's content is drawn in context and
   * the result keeps the image outside the mask exactly (a soft mask mixes the two).
   */
  mask_image?: Tensor;
  /**
   * Called every `callback_steps` steps (attention visualisation, previews). Each step runs in a
   * scope of its own (CarryScope): the tensors the callback sees are released when the step ends,
   * so a callback that holds one past it must keep() it.
   */
  callback?: (info: StepInfo) => void;
  callback_steps?: number;
  /**
   * Tensors made during a step, outside the loop's own state, that must outlive it: an attention
   * controller's running sums over steps. Asked at the end of every step; what it returns is
   * handed on like the latents (and released once a later step no longer returns it).
   */
  step_state?: () => unknown;
}

export interface TextToImageOutput {
  /** Decoded images clamped to [-1, 1], (N, C, H, W). */
  images: Tensor;
  /** The final working-space tensor, before decoding and clamping. */
  latents: Tensor;
}

/** Classifier-free guidance: uncond + g (cond - uncond). */
export function guide(noise_pred_uncond: Tensor, noise_pred_text: Tensor, guidance_scale: number): Tensor {
  return add(noise_pred_uncond, mul(sub(noise_pred_text, noise_pred_uncond), guidance_scale));
}

/**
 * Lin et al. 2023 (sec. 3.4), as diffusers' rescale_noise_cfg: the guided prediction scaled so
 * each sample's standard deviation (unbiased, over all but the batch dim) is the conditional one's,
 * then mixed with the unscaled one by `guidance_rescale`.
 */
export function rescale_noise_cfg(noise_cfg: Tensor, noise_pred_text: Tensor, guidance_rescale: number): Tensor {
  const dims = Array.from({ length: noise_cfg.ndim - 1 }, (_, i) => i + 1);
  const n = noise_cfg.numel() / noise_cfg.shape[0]!;
  const std = (x: Tensor): Tensor => {
    const d = sub(x, mean(x, dims, true));
    return sqrt(div(sum(mul(d, d), dims, true), n - 1));
  };
  const rescaled = mul(noise_cfg, div(std(noise_pred_text), std(noise_cfg)));
  return add(mul(rescaled, guidance_rescale), mul(noise_cfg, 1 - guidance_rescale));
}

function asList(p: string | string[]): string[] {
  return typeof p === 'string' ? [p] : [...p];
}

/** Each row repeated k times in place (prompt-major order, as diffusers repeats embeddings). */
function repeatRows(x: Tensor, k: number): Tensor {
  if (k === 1) return x;
  const idx = Array.from({ length: x.shape[0]! * k }, (_, i) => Math.floor(i / k));
  return index_select(x, 0, idx);
}

export class TextToImagePipeline {
  readonly unet: UNetLike;
  readonly encodePrompt: PromptEncoder;
  readonly scheduler: SchedulerLike;
  readonly channels: number;
  readonly sample_size: number;
  readonly decode_latents: (latents: Tensor) => Tensor;

  constructor(components: TextToImageComponents) {
    this.unet = components.unet;
    this.encodePrompt = components.encodePrompt;
    this.scheduler = components.scheduler;
    this.channels = components.channels;
    this.sample_size = components.sample_size;
    this.decode_latents = components.decode_latents ?? ((x) => x);
  }

  /** Conditional and (with guidance) unconditional embeddings, each (N * images_per_prompt, L, D). */
  encode(prompts: string[], negative: string[] | null, num_images_per_prompt: number): { cond: Tensor; uncond: Tensor | null } {
    const cond = repeatRows(this.encodePrompt(prompts), num_images_per_prompt);
    if (negative === null) return { cond, uncond: null };
    if (negative.length !== prompts.length) throw new Error(`${negative.length} negative prompts for ${prompts.length} prompts`);
    const uncond = repeatRows(this.encodePrompt(negative), num_images_per_prompt);
    if (uncond.shape.join() !== cond.shape.join()) {
      throw new Error(`unconditional embeddings [${uncond.shape.join(', ')}] differ from conditional [${cond.shape.join(', ')}]; pad both to the same length`);
    }
    return { cond, uncond };
  }

  /** Initial noise (N, C, H, W) scaled by the scheduler's init_noise_sigma. */
  prepare_latents(batch: number, height: number, width: number, dtype: DType, generator: Generator, latents?: Tensor): Tensor {
    const shape = [batch, this.channels, height, width];
    if (latents) {
      if (latents.shape.join() !== shape.join()) throw new Error(`latents of shape [${latents.shape.join(', ')}], expected [${shape.join(', ')}]`);
    } else {
      latents = generator.randn(shape, { dtype });
    }
    return mul(latents, this.scheduler.init_noise_sigma);
  }

  generate(opts: TextToImageOptions): TextToImageOutput {
    return no_grad(() => {
      const steps = this.denoise(opts);
      let r = steps.next();
      while (!r.done) r = steps.next();
      return r.value;
    });
  }

  /**
   * The same sampling (the same images for the same options), giving the event loop a turn after
   * every denoising step, so a signal handler or a timer can run; once `should_stop()` returns true
   * there, it ends early with null. A long sampling run stays interruptible this way (Ctrl-C).
   */
  async generate_async(opts: TextToImageOptions, should_stop: () => boolean): Promise<TextToImageOutput | null> {
    const steps = this.denoise(opts);
    for (;;) {
      const r = no_grad(() => steps.next());
      if (r.done) return r.value;
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      if (should_stop()) return null;
    }
  }

  /** The sampling loop, yielding the index of each step done; its return value is the output. */
  private *denoise(opts: TextToImageOptions) {
    const prompts = asList(opts.prompt);
    const k = opts.num_images_per_prompt ?? 1;
    const g = opts.guidance_scale ?? 7.5;
    const cfg = g > 1;
    const rescale = opts.guidance_rescale ?? 0;
    if (!(rescale >= 0 && rescale <= 1)) throw new Error(`guidance_rescale must be in [0, 1], got ${rescale}`);
    const negative = cfg ? (opts.negative_prompt === undefined ? prompts.map(() => '') : asList(opts.negative_prompt)) : null;
    const { cond, uncond } = this.encode(prompts, negative, k);
    // the unet sees [uncond..., cond...], so one forward serves both branches
    const embeds = uncond ? cat([uncond, cond], 0) : cond;

    const generator = opts.generator ?? default_generator;
    const height = opts.height ?? this.sample_size;
    const width = opts.width ?? this.sample_size;
    const scheduler = this.scheduler;
    scheduler.set_timesteps(opts.num_inference_steps ?? 50);
    let latents = this.prepare_latents(prompts.length * k, height, width, opts.dtype ?? cond.dtype, generator, opts.latents);
    if (opts.mask_image && !opts.image) throw new Error('mask_image needs the image it edits (image)');
    const start = opts.image ? startFrom(opts.image, opts.strength ?? 1, opts.mask_image, scheduler, latents.shape) : null;
    const timesteps = start ? scheduler.timesteps.slice(start.t_start) : scheduler.timesteps;
    // img2img: the image noised to the first timestep kept, with the noise just drawn; blending
    // reuses that noise at every step, so with DDIM's eta = 0 the kept region follows exactly the
    // path the sampler would take for the clean image under a perfect noise prediction
    const noise = latents;
    const noised = start ? (t: number) => start.add_noise(noise, t) : null;
    if (noised) latents = noised(timesteps[0]!);

    const every = opts.callback_steps ?? 1;
    // one scope per step: without it a caller's tidy held every step's UNet activations until
    // sampling ended (25 steps x 4 images with guidance peaked at 7 GiB RSS)
    const scope = new CarryScope();
    for (let i = 0; i < timesteps.length; i++) {
      const carried = scope.step(() => {
        const t = timesteps[i]!;
        const input = scheduler.scale_model_input(cfg ? cat([latents, latents], 0) : latents, t);
        const out = this.unet.forward(input, t, embeds).sample;
        let noise_pred = out;
        if (cfg) {
          const [u, c] = chunk(out, 2, 0) as [Tensor, Tensor];
          noise_pred = guide(u, c, g);
          if (rescale > 0) noise_pred = rescale_noise_cfg(noise_pred, c, rescale);
        }
        const res = scheduler.step(noise_pred, t, latents, { generator, eta: opts.eta ?? 0 });
        let next = res.prev_sample;
        if (start?.blend && noised) {
          // outside the mask: the image at the next step's noise level (the clean image after the last)
          const after = timesteps[i + 1];
          const known = after === undefined ? start.image : noised(after);
          next = add(mul(start.blend.mask, next), mul(start.blend.keep, known));
        }
        if (opts.callback && i % every === 0) {
          const info: StepInfo = { step: i, timestep: t, latents: next, noise_pred };
          if (res.pred_original_sample) info.pred_original_sample = res.pred_original_sample;
          opts.callback(info);
        }
        return { latents: next, state: opts.step_state?.() };
      });
      latents = carried.latents;
      yield i;
    }
    const output: TextToImageOutput = { images: this.decode_latents(latents).clamp(-1, 1), latents };
    return output;
  }
}
