// Training the world's CLIP (world_clip.ts): the text encoder the base model will read, with a
// small image encoder, on the scene stream by the contrastive objective; then a held-out check of
// what the text side learned: for unseen one-object scenes, is "a photo of a <colour> <shape>" the
// best of the 64 such captions? A few minutes on the CPU; `bas pretrain --text_encoder_name_or_path`
// starts the UNet's pretraining from the result.
import { argmax, Generator, no_grad, tensor, tidy, type Tensor } from '../../core/index.js';
import { CLIPTextModel } from '../../nn/clip/text_model.js';
import { textEncoderConfig, type UNetConfigName } from '../../nn/configs.js';
import { to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import { AdamW } from '../../nn/optim/adamw.js';
import { clip_grad_norm_ } from '../../nn/optim/clip_grad.js';
import { get_scheduler } from '../../nn/optim/lr_schedule.js';
import { save_text_encoder } from '../../nn/pipeline.js';
import { save_file } from '../../nn/safetensors.js';
import { CLIPTokenizer } from '../../nn/tokenizer/clip_tokenizer.js';
import { getPlatform } from '../../platform/platform.js';
import { folderSink, outputPath, type OutputSink } from '../../bas/train/output_sink.js';
import { truncateJsonl } from '../../bas/io/jsonl.js';
import { Progress } from '../../bas/train/progress.js';
import { captionOf, COLOUR_NAMES, objectPhrase, sceneAt, SHAPE_NAMES, type SceneSample } from '../world/index.js';
import { pretrainTextEncoderConfig, scenePixels } from './pretrainer.js';
import { clipLoss, WORLD_CLIP_CONFIG, WorldCLIP } from './world_clip.js';

export interface ClipPretrainArgs {
  output_dir: string;
  /** The UNet config whose text encoder this trains (its width is the UNet's cross_attention_dim). */
  config: UNetConfigName;
  max_train_steps: number;
  train_batch_size: number;
  learning_rate: number;
  lr_warmup_steps: number;
  adam_weight_decay: number;
  /** Share of captions without their background phrase, as in `bas pretrain`. */
  background_drop_prob: number;
  min_objects: number;
  max_objects: number;
  resolution: number;
  seed: number;
  /** One-object scenes of the held-out check (world seed seed + 1). */
  eval_scenes: number;
}

export interface ClipPretrainResult {
  /** Held-out top-1: the scene's own "a photo of a <colour> <shape>" is the best of the 64. */
  caption_accuracy: number;
  colour_accuracy: number;
  shape_accuracy: number;
}

/** Scenes as a (B, 3, H, W) tensor in [-1, 1]. */
const pixelsOf = (scenes: readonly SceneSample[], res: number): Tensor => tensor(scenePixels(scenes, res), { shape: [scenes.length, 3, res, res], dtype: 'float32' });

/** Trains the world's CLIP; its outputs go to `sink` (default: a.output_dir of the platform's files). */
export async function pretrainWorldClip(a: ClipPretrainArgs, log: (m: string) => void = (m) => console.log(m), sink: OutputSink = folderSink(a.output_dir)): Promise<ClipPretrainResult> {
  const { files: fs, dir: out } = sink;
  fs.mkdirp(out);
  const gen = new Generator(a.seed);
  const tokenizer = new CLIPTokenizer({ model_max_length: textEncoderConfig('default').max_position_embeddings ?? 24 });
  const text_encoder = new CLIPTextModel(pretrainTextEncoderConfig(a.config, tokenizer.length), { generator: gen });
  const clip = new WorldCLIP(WORLD_CLIP_CONFIG, text_encoder.config.hidden_size, { generator: gen });
  const params = [...text_encoder.parameters(), ...clip.parameters()];
  const optimizer = new AdamW(params, { lr: a.learning_rate, weight_decay: a.adam_weight_decay });
  const lr = get_scheduler('cosine', optimizer, { num_warmup_steps: a.lr_warmup_steps, num_training_steps: a.max_train_steps });
  const ids = (captions: readonly string[]): number[][] => captions.map((c) => tokenizer.encode(c, { padding: 'max_length', truncation: true }));
  const metricsPath = outputPath(sink, 'metrics.jsonl');
  truncateJsonl(metricsPath, 0, fs);
  const progress = new Progress(a.max_train_steps, 0);

  for (let step = 0; step < a.max_train_steps; step++) {
    const t0 = Date.now();
    const b = a.train_batch_size;
    const scenes = Array.from({ length: b }, (_, i) => sceneAt(a.seed, step * b + i, { resolution: a.resolution, minObjects: a.min_objects, maxObjects: a.max_objects }));
    const captions = scenes.map((s) => (gen.random() < a.background_drop_prob ? captionOf(s.scene, { withoutBackground: true }) : s.caption));
    const { loss, accuracy } = tidy(() => {
      const logits = clip.logits(clip.vision_model.forward(pixelsOf(scenes, a.resolution)), clip.textEmbeds(text_encoder, ids(captions)));
      const l = clipLoss(logits, captions);
      const best = argmax(logits, -1).data;
      // in-batch image -> caption top-1, a repeat of the own caption counting as right
      const accuracy = captions.filter((c, i) => captions[best[i]!] === c).length / b;
      const value = l.item();
      l.backward();
      clip_grad_norm_(params, 1.0);
      optimizer.step();
      lr.step();
      optimizer.zero_grad();
      return { loss: value, accuracy };
    });
    if (!Number.isFinite(loss)) throw new Error(`non-finite contrastive loss (${loss}) at step ${step + 1}`);
    fs.appendText(metricsPath, `${JSON.stringify({ step: step + 1, loss, accuracy, lr: optimizer.param_groups[0]!.lr, sec: (Date.now() - t0) / 1000 })}\n`);
    progress.update(step + 1, '', { loss, attn_loss: null, lr: optimizer.param_groups[0]!.lr });
    await getPlatform().nextTurn();
  }
  progress.done();

  const result = no_grad(() => heldOutAccuracy(a, clip, text_encoder, ids));
  save_text_encoder(out, text_encoder, tokenizer, fs);
  fs.mkdirp(outputPath(sink, 'world_clip'));
  write_file_atomic(outputPath(sink, 'world_clip', 'config.json'), to_json_text({ ...WORLD_CLIP_CONFIG, text_hidden_size: text_encoder.config.hidden_size }), fs);
  save_file(clip.state_dict(), outputPath(sink, 'world_clip', 'model.safetensors'), { format: 'pt' }, fs);
  write_file_atomic(outputPath(sink, 'result.json'), to_json_text(result), fs);
  log(`held-out one-object scenes (${a.eval_scenes}): caption ${pct(result.caption_accuracy)}, colour ${pct(result.colour_accuracy)}, shape ${pct(result.shape_accuracy)} (top-1 of the 64 colour x shape captions)`);
  log(`saved the text encoder and tokenizer in ${out} (bas pretrain --text_encoder_name_or_path ${out})`);
  return result;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function heldOutAccuracy(a: ClipPretrainArgs, clip: WorldCLIP, text_encoder: CLIPTextModel, ids: (c: readonly string[]) => number[][]): ClipPretrainResult {
  const pairs = COLOUR_NAMES.flatMap((colour) => SHAPE_NAMES.map((shape) => ({ colour, shape })));
  const textEmbeds = clip.textEmbeds(text_encoder, ids(pairs.map((p) => `a photo of ${objectPhrase({ ...p, size: 'small' })}`)));
  let caption = 0;
  let colour = 0;
  let shape = 0;
  for (let start = 0; start < a.eval_scenes; start += 64) {
    const n = Math.min(64, a.eval_scenes - start);
    const scenes = Array.from({ length: n }, (_, i) => sceneAt(a.seed + 1, start + i, { resolution: a.resolution, minObjects: 1, maxObjects: 1 }));
    const best = argmax(clip.logits(clip.vision_model.forward(pixelsOf(scenes, a.resolution)), textEmbeds), -1).data;
    scenes.forEach((s, i) => {
      const o = s.scene.objects[0]!;
      const p = pairs[best[i]!]!;
      colour += p.colour === o.colour ? 1 : 0;
      shape += p.shape === o.shape ? 1 : 0;
      caption += p.colour === o.colour && p.shape === o.shape ? 1 : 0;
    });
  }
  return { caption_accuracy: caption / a.eval_scenes, colour_accuracy: colour / a.eval_scenes, shape_accuracy: shape / a.eval_scenes };
}
