// The world's CLIP (lab/pretrain/world_clip.ts) and `bas pretrain-clip`: the contrastive loss
// against a loop written from its definition, its gradient (and the temperature's, and the image
// encoder's) against central differences in float64, and the hand-over to `bas pretrain`: a UNet
// pretrained on a frozen CLIP text encoder leaves its weights as they were.
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Generator, gradcheck, tensor, type Tensor } from '../../core/index.js';
import { main } from '../../cli/main.js';
import { Pretrainer } from '../../lab/pretrain/pretrainer.js';
import type { PretrainConfig } from '../../lab/pretrain/config.js';
import { clipLoss, WorldCLIP, type WorldCLIPConfig } from '../../lab/pretrain/world_clip.js';
import { load_text_encoder } from '../../nn/pipeline.js';
import { load_file } from '../../nn/safetensors.js';
import { differingTensors, readWeights, tempRoot } from '../helpers/tiny_model.js';
import { tinyPretrainConfig } from '../helpers/tiny_pretrain.js';

const tmp = tempRoot('bas-world-clip');
afterAll(() => tmp.cleanup());
beforeEach(() => void vi.spyOn(console, 'log').mockImplementation(() => {}));
afterEach(() => vi.restoreAllMocks());

const leaf = (t: Tensor): Tensor => {
  t.requires_grad = true;
  return t;
};
const SMALL: WorldCLIPConfig = { image_channels: [8, 8], projection_dim: 4, logit_scale_init_value: Math.log(1 / 0.07) };

/** -1/(2B) sum_i [sum_j T_ij log softmax_j(L_i.) + sum_j T_ij log softmax_j(L_.i)], T spread over equal captions. */
function referenceLoss(l: number[][], captions: string[]): number {
  const b = captions.length;
  const lse = (xs: number[]): number => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  let total = 0;
  for (let i = 0; i < b; i++) {
    const same = captions.filter((c) => c === captions[i]).length;
    const row = l[i]!;
    const col = l.map((r) => r[i]!);
    for (let j = 0; j < b; j++) {
      if (captions[j] !== captions[i]) continue;
      total += (row[j]! - lse(row)) / same + (col[j]! - lse(col)) / same;
    }
  }
  return -total / (2 * b);
}

describe('the contrastive loss', () => {
  const captions = ['a photo of a red circle', 'a photo of a blue star', 'a photo of a red circle', 'a photo of a green ring'];

  it('equals the definition, repeats of a caption sharing the target', () => {
    const g = new Generator(1);
    const l = g.randn([4, 4], { dtype: 'float64' });
    const rows = Array.from({ length: 4 }, (_, i) => Array.from(l.data.subarray(i * 4, i * 4 + 4)));
    expect(clipLoss(l, captions).item()).toBeCloseTo(referenceLoss(rows, captions), 12);
    // distinct captions: the plain CLIP loss, whose minimum needs the diagonal to win
    const distinct = ['a', 'b', 'c', 'd'];
    const eye = tensor([[9, 0, 0, 0], [0, 9, 0, 0], [0, 0, 9, 0], [0, 0, 0, 9]], { dtype: 'float64' });
    expect(clipLoss(eye, distinct).item()).toBeLessThan(1e-3);
    expect(clipLoss(tensor([[0, 9, 0, 0], [9, 0, 0, 0], [0, 0, 9, 0], [0, 0, 0, 9]], { dtype: 'float64' }), distinct).item()).toBeGreaterThan(4);
  });

  it('has the gradient of central differences for the embeddings and the temperature', () => {
    const g = new Generator(2);
    const clip = new WorldCLIP(SMALL, 6, { dtype: 'float64', generator: g });
    const img = leaf(g.randn([4, 4], { dtype: 'float64' }));
    const txt = leaf(g.randn([4, 4], { dtype: 'float64' }));
    // the temperature is a parameter of the module: gradcheck perturbs it in place
    const report = gradcheck((i, t) => clipLoss(clip.logits(i!, t!), captions), [img, txt, clip.logit_scale]);
    expect(report.ok, JSON.stringify(report.worst)).toBe(true);
    expect(clip.logit_scale.item()).toBeCloseTo(Math.log(1 / 0.07), 12);
  });

  it("backpropagates through the image encoder as central differences say", () => {
    const g = new Generator(3);
    const clip = new WorldCLIP(SMALL, 6, { dtype: 'float64', generator: g });
    const px = leaf(g.randn([2, 3, 8, 8], { dtype: 'float64' }));
    const report = gradcheck((x) => clip.vision_model.forward(x!), [px]);
    expect(report.ok, JSON.stringify(report.worst)).toBe(true);
  });
});

/** The tests' tiny pretraining (test/helpers/tiny_pretrain.ts), two steps at a constant rate, no checkpoints. */
function pretrainArgs(output_dir: string, over: Partial<PretrainConfig>): PretrainConfig {
  return tinyPretrainConfig(output_dir, { max_train_steps: 2, lr_scheduler: 'constant_with_warmup', lr_decay_steps: 0, checkpointing_steps: 0, backend: 'cpu', ...over });
}

describe('bas pretrain-clip, then bas pretrain on its text encoder', () => {
  it('writes a loadable text encoder; a frozen one reaches the saved model unchanged, a trained one does not', async () => {
    const clipDir = tmp.fresh('clip');
    const flags = ['--config', 'tiny', '--max_train_steps', '3', '--train_batch_size', '4', '--lr_warmup_steps', '1', '--eval_scenes', '8', '--backend', 'cpu'];
    expect(await main(['pretrain-clip', '--output_dir', clipDir, ...flags])).toBe(0);
    const { text_encoder } = load_text_encoder(clipDir);
    expect(text_encoder.config.hidden_size).toBe(8);

    const frozen = tmp.fresh('frozen');
    await new Pretrainer(pretrainArgs(frozen, { text_encoder_name_or_path: clipDir, freeze_text_encoder: true }), () => {}).train();
    const trained = tmp.fresh('trained');
    await new Pretrainer(pretrainArgs(trained, { text_encoder_name_or_path: clipDir, freeze_text_encoder: false }), () => {}).train();
    const encoderOf = (dir: string): Record<string, Tensor> => load_file(join(dir, 'text_encoder', 'model.safetensors'));
    expect(differingTensors(encoderOf(join(frozen, 'model')), encoderOf(clipDir))).toEqual([]);
    expect(differingTensors(encoderOf(join(trained, 'model')), encoderOf(clipDir)).length).toBeGreaterThan(0);
    // the UNet trained in both
    expect(differingTensors(readWeights(join(frozen, 'model')), readWeights(join(trained, 'model'))).length).toBeGreaterThan(0);
  }, 120_000);

  it('names the flag of a missing folder, a width that does not fit, and two text encoders', async () => {
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.map(String).join(' ')));
    expect(await main(['pretrain', '--config', 'tiny', '--text_encoder_name_or_path', join(tmp.fresh('x'), 'nowhere'), '--output_dir', tmp.fresh('y'), '--backend', 'cpu'])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--text_encoder_name_or_path.*nowhere/);
    errs.length = 0;
    const wide = tmp.fresh('wide');
    expect(await main(['pretrain-clip', '--output_dir', wide, '--max_train_steps', '1', '--train_batch_size', '2', '--eval_scenes', '1', '--backend', 'cpu'])).toBe(0);
    expect(await main(['pretrain', '--config', 'tiny', '--text_encoder_name_or_path', wide, '--output_dir', tmp.fresh('z'), '--backend', 'cpu'])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--text_encoder_name_or_path.*width 64.*width 8/);
    errs.length = 0;
    expect(await main(['pretrain', '--text_encoder_name_or_path', wide, '--pretrained_model_name_or_path', wide, '--output_dir', tmp.fresh('w')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--text_encoder_name_or_path and --pretrained_model_name_or_path/);
    errs.length = 0;
    expect(await main(['pretrain-clip', '--train_batch_size', '1', '--output_dir', tmp.fresh('v')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--train_batch_size/);
  }, 120_000);
});
