// The setting `bas gradcheck` checks: float64 tiny UNet and text encoder, two concepts with masks
// on a small generated image, one union-sampled prompt, a class sample for prior preservation,
// fixed noise and timesteps. The loss is then a deterministic function of the parameters.
import { Generator, tensor, type Tensor } from '../../core/index.js';
import { DDPMScheduler } from '../../diffusion/index.js';
import { CLIPTextModel } from '../../nn/clip/text_model.js';
import { textEncoderConfig, unetConfig, type UNetConfigName } from '../../nn/configs.js';
import { CLIPTokenizer } from '../../nn/tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel } from '../../nn/unet/unet_2d_condition.js';
import { AttentionStore } from '../attention/attention_store.js';
import { register_attention_control } from '../attention/register_attention_control.js';
import { sampleUnion } from '../data/union_sampling.js';
import { breakASceneLoss, type LossOptions, type LossResult } from './loss.js';
import { addPlaceholderTokens } from './placeholders.js';

export interface GradcheckSetting {
  unet: UNet2DConditionModel;
  text_encoder: CLIPTextModel;
  placeholder_ids: number[];
  prompt: string;
  attn_res: number;
  /** The store the loss reads its maps from (for a look at what it kept). */
  store: AttentionStore;
  loss: () => LossResult;
}

export interface GradcheckSettingOptions {
  /** With a class sample and the prior loss (default true). */
  prior?: boolean;
  /** The store keeps the second half of the batch x heads rows, as the original does. */
  attention_store_quirk?: boolean;
}

/** Two overlapping-free rectangles as concept masks and a random image, at `res`. */
function scene(gen: Generator, res: number): { image: Tensor; masks: Tensor[] } {
  const half = Math.floor(res / 2);
  const rect = (y0: number, y1: number, x0: number, x1: number): Tensor =>
    tensor(Array.from({ length: res * res }, (_, p) => {
      const [y, x] = [Math.floor(p / res), p % res];
      return y >= y0 && y < y1 && x >= x0 && x < x1 ? 1 : 0;
    }), { shape: [1, 1, res, res], dtype: 'float64' });
  const image = gen.rand([1, 3, res, res], { dtype: 'float64' }).mul(2).sub(1);
  return { image, masks: [rect(0, half, 0, half), rect(half, res, 1, res - 1)] };
}

export function gradcheckSetting(configName: UNetConfigName, seed: number, o: GradcheckSettingOptions = {}): GradcheckSetting {
  const withPrior = o.prior ?? true;
  const gen = new Generator(seed);
  const ucfg = unetConfig(configName);
  const res = ucfg.sample_size ?? 8;
  const tokenizer = new CLIPTokenizer({ model_max_length: 12 });
  const tcfg = {
    ...textEncoderConfig('tiny'),
    hidden_size: Number(Array.isArray(ucfg.cross_attention_dim) ? ucfg.cross_attention_dim[0] : ucfg.cross_attention_dim ?? 8),
    vocab_size: tokenizer.length,
    max_position_embeddings: 12,
    bos_token_id: tokenizer.bos_token_id,
    eos_token_id: tokenizer.eos_token_id,
    pad_token_id: tokenizer.pad_token_id,
  };
  const unet = new UNet2DConditionModel(ucfg, { dtype: 'float64', generator: gen });
  const text_encoder = new CLIPTextModel(tcfg, { dtype: 'float64', generator: gen });
  const { tokens, ids } = addPlaceholderTokens(tokenizer, text_encoder, 2, [], gen);
  const store = new AttentionStore();
  store.original_quirk = o.attention_store_quirk ?? false;
  register_attention_control(unet, store);
  const scheduler = new DDPMScheduler({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });

  const { image, masks } = scene(gen, res);
  // both concepts, so the attention loss supervises two tokens at once
  let sample = sampleUnion(gen, image, masks, { placeholder_tokens: tokens });
  while (sample.token_ids.length < 2) sample = sampleUnion(gen, image, masks, { placeholder_tokens: tokens });
  const classImage = gen.rand([1, 3, res, res], { dtype: 'float64' }).mul(2).sub(1);
  // drawn for [class, instance] either way, so the instance's noise and timestep do not depend on the prior
  const noiseBoth = gen.randn([2, 3, res, res], { dtype: 'float64' });
  const timestepsBoth = [gen.integer(0, 1000), gen.integer(0, 1000)];
  const noise = withPrior ? noiseBoth : noiseBoth.narrow(0, 1, 1);
  const timesteps = withPrior ? timestepsBoth : timestepsBoth.slice(1);
  // attention blocks sit one level below the top: the supervised maps live at half the grid
  const attn_res = res / 2;
  const opts: LossOptions = { lambda_attention: 1e-2, prior_loss_weight: 1, apply_masked_loss: true, placeholder_token_ids: ids, attn_res };
  const encode = (p: string): number[] => tokenizer.encode(p, { padding: 'max_length', truncation: true });
  const loss = (): LossResult =>
    breakASceneLoss(
      {
        unet,
        text_encoder,
        store,
        scheduler,
        instance: { images: sample.image, masks: [sample.masks], concept_ids: [sample.token_ids], input_ids: [encode(sample.prompt)] },
        prior: withPrior ? { images: classImage, input_ids: [encode('a photo at the beach')] } : null,
        noise,
        timesteps,
      },
      opts,
    );
  return { unet, text_encoder, placeholder_ids: ids, prompt: sample.prompt, attn_res, store, loss };
}
