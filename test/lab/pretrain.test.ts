// `bas pretrain` on the tiny config (32 px scenes, a 4/8-channel UNet, a one-layer 8-wide text
// encoder over the world's vocabulary): exact resume from a checkpoint written mid-run, the
// learning-rate schedule in metrics.jsonl, the sample grids, the interrupt checkpoint and the EMA
// pipeline folder at the end.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { loadModel } from '../../bas/model.js';
import { minSnrWeights, pixelWeights, Pretrainer, recipeChanges, worldAt } from '../../lab/pretrain/pretrainer.js';
import { COLOUR_NAMES, sceneAt, SHAPE_NAMES } from '../../lab/world/index.js';
import { lr_factor } from '../../nn/optim/lr_schedule.js';
import { memorySink } from '../../bas/train/output_sink.js';
import { differingTensors, listFiles, readWeights, tempRoot } from '../helpers/tiny_model.js';
import { tinyPretrainConfig } from '../helpers/tiny_pretrain.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';

const tmp = tempRoot('bas-pretrain');
afterAll(() => tmp.cleanup());

captureConsoleEachTest(); // the pretrainer's output, kept off the test log

const args = tinyPretrainConfig;

interface Line { step: number; loss: number; lr: number; grad_norm: number }
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const withoutTime = (ls: Line[]): Omit<Line, 'sec'>[] => ls.map(({ step, loss, lr, grad_norm }) => ({ step, loss, lr, grad_norm }));

describe('bas pretrain (tiny config)', () => {
  it('resumes exactly: a run restarted from its step-2 checkpoint ends bit-identical to the uninterrupted run', async () => {
    const a = tmp.fresh('a');
    expect(await new Pretrainer(args(a, { sample_steps: 4 }), () => {}).train()).toEqual({ steps: 4, interrupted: false });
    const la = metrics(a);
    expect(la.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    // the logged lr is the one the next step will use: 1e-2 * factor(step)
    la.forEach((l) => expect(l.lr).toBeCloseTo(1e-2 * lr_factor('warmup_stable_decay', l.step, { num_warmup_steps: 1, num_training_steps: 4, num_decay_steps: 2 }), 12));
    expect(la.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
    for (const s of [2, 4]) expect(existsSync(join(a, `checkpoint-${s}`, 'state.json'))).toBe(true);
    // one tile per grid prompt, 2 px apart
    const grid = readImage(join(a, 'samples', 'step-000004.png'));
    expect([grid.height, grid.width]).toEqual([32, 6 * 32 + 5 * 2]);

    const b = tmp.fresh('b');
    cpSync(join(a, 'checkpoint-2'), join(b, 'checkpoint-2'), { recursive: true });
    // metrics beyond the checkpoint's step are dropped on resume, as after a crash
    cpSync(join(a, 'metrics.jsonl'), join(b, 'metrics.jsonl'));
    const log: string[] = [];
    expect(await new Pretrainer(args(b, { resume_from_checkpoint: 'latest', sample_steps: 0 }), (m) => log.push(m)).train()).toEqual({ steps: 4, interrupted: false });
    expect(log[0]).toContain('resuming from');
    // the same recipe, only longer-lived flags changed: no warning
    expect(log.some((l) => l.includes('warning'))).toBe(false);
    expect(withoutTime(metrics(b))).toEqual(withoutTime(la));
    expect(differingTensors(readWeights(join(a, 'model')), readWeights(join(b, 'model')))).toEqual([]);
    expect(differingTensors(readWeights(join(a, 'checkpoint-4', 'model')), readWeights(join(b, 'checkpoint-4', 'model')))).toEqual([]);

    // model/ holds the EMA weights, not the last raw ones
    const raw = readWeights(join(a, 'checkpoint-4', 'model'));
    expect(differingTensors(raw, readWeights(join(a, 'model'))).length).toBeGreaterThan(0);
    const m = loadModel(join(a, 'model'));
    expect(m.unet.config.sample_size).toBe(32);
    expect(m.text_encoder.config.hidden_size).toBe(m.unet.config.cross_attention_dim);
  }, 120_000);

  it('writes into a memory sink what it writes into a folder, byte for byte, and nothing to the disk', async () => {
    const folder = tmp.fresh('folder');
    await new Pretrainer(args(folder, { max_train_steps: 2, sample_steps: 2 }), () => {}).train();
    const sink = memorySink(`/bas-pretrain-sink-${process.pid}-${Date.now()}`);
    // the same flags, output_dir included, so the checkpoint's state.json (which keeps them) matches too
    await new Pretrainer(args(folder, { max_train_steps: 2, sample_steps: 2 }), () => {}, null, sink).train();
    expect(existsSync(sink.dir)).toBe(false);
    const received = sink.outputs();
    const onDisk = listFiles(folder);
    expect(Object.keys(received)).toEqual(onDisk);
    expect(onDisk).toEqual(expect.arrayContaining(['checkpoint-2/ema.safetensors', 'checkpoint-2/state.json', 'model/unet/diffusion_pytorch_model.safetensors', 'samples/step-000002.png']));
    // metrics.jsonl logs each step's seconds
    for (const rel of onDisk.filter((p) => p !== 'metrics.jsonl')) {
      expect(Buffer.from(received[rel]!).equals(readFileSync(join(folder, rel))), rel).toBe(true);
    }
  }, 120_000);

  it("warns when a resumption changes the checkpoint's recipe, naming each flag", async () => {
    const a = tmp.fresh('recipe');
    await new Pretrainer(args(a, { max_train_steps: 2 }), () => {}).train();
    const log: string[] = [];
    await new Pretrainer(args(a, { max_train_steps: 3, resume_from_checkpoint: 'latest', snr_gamma: 0, lr_decay_steps: 1 }), (m) => log.push(m)).train();
    const warning = log.find((l) => l.startsWith('warning'));
    expect(warning).toContain('--snr_gamma: checkpoint 5, now 0');
    // the length of the run and its decay may change freely
    expect(warning).not.toContain('max_train_steps');
    expect(warning).not.toContain('lr_decay_steps');
    expect(recipeChanges({ seed: 1, textures: ['plain'] }, args(a, { seed: 1 }))).toContain(`--textures: checkpoint ["plain"], now unset`);
  }, 60_000);

  it('object pixels weigh k times the background, the weights of each image averaging 1', () => {
    const res = 4;
    const mask = (ps: number[]): Uint8Array => Uint8Array.from({ length: 16 }, (_, p) => (ps.includes(p) ? 255 : 0));
    const w = pixelWeights([{ masks: [mask([0, 1]), mask([5])] }, { masks: [] }], res, 5);
    // image 0: 3 object pixels at 5, 13 at 1, sum 28 -> scale 16 / 28
    expect(w[0]).toBeCloseTo((5 * 16) / 28, 6);
    expect(w[5]).toBeCloseTo((5 * 16) / 28, 6);
    expect(w[2]).toBeCloseTo(16 / 28, 6);
    expect(Array.from(w.subarray(16)).every((v) => v === 1)).toBe(true);
    expect(w.subarray(0, 16).reduce((a, b) => a + b, 0)).toBeCloseTo(16, 5);
  });

  it('a run with object_loss_weight 4 trains from the same start to different weights', async () => {
    const a = tmp.fresh('w1');
    const b = tmp.fresh('w4');
    await new Pretrainer(args(a, { max_train_steps: 2, checkpointing_steps: 0 }), () => {}).train();
    await new Pretrainer(args(b, { max_train_steps: 2, checkpointing_steps: 0, object_loss_weight: 4 }), () => {}).train();
    expect(metrics(a)[0]!.loss).not.toBe(metrics(b)[0]!.loss);
    expect(differingTensors(readWeights(join(a, 'model')), readWeights(join(b, 'model'))).length).toBeGreaterThan(0);
  }, 60_000);

  it('--pretrained_model_name_or_path starts from that folder: at lr 0 the run ends on its weights, at lr 1e-2 it moves off them', async () => {
    const a = tmp.fresh('start');
    await new Pretrainer(args(a, { max_train_steps: 2, checkpointing_steps: 0 }), () => {}).train();
    const start = readWeights(join(a, 'model'));
    const log: string[] = [];
    const still = tmp.fresh('still');
    // lr 0: AdamW moves nothing and weight decay scales by 1 - 0, so raw and EMA weights stay the start's
    await new Pretrainer(args(still, { max_train_steps: 2, checkpointing_steps: 0, learning_rate: 0, pretrained_model_name_or_path: join(a, 'model') }), (m) => log.push(m)).train();
    expect(log[0]).toContain('starting from the weights in');
    expect(differingTensors(start, readWeights(join(still, 'model')))).toEqual([]);
    const moved = tmp.fresh('moved');
    await new Pretrainer(args(moved, { max_train_steps: 2, checkpointing_steps: 0, pretrained_model_name_or_path: join(a, 'model') }), () => {}).train();
    const diff = differingTensors(start, readWeights(join(moved, 'model')));
    expect(diff.length).toBeGreaterThan(0);
    // and it trained the same architecture, not a fresh one of --config's
    expect(Object.keys(readWeights(join(moved, 'model'))).sort()).toEqual(Object.keys(start).sort());
  }, 60_000);

  it('min-SNR weights follow diffusers: min(SNR, gamma) / SNR for epsilon, / (SNR + 1) for v; gamma 0 is plain MSE', () => {
    const snr = [0.01, 1, 5, 100];
    expect(minSnrWeights(snr, 5, 'epsilon')).toEqual([1, 1, 1, 0.05]);
    const v = minSnrWeights(snr, 5, 'v_prediction');
    [0.01 / 1.01, 1 / 2, 5 / 6, 5 / 101].forEach((want, i) => expect(v[i]).toBeCloseTo(want, 14));
    expect(minSnrWeights(snr, 0, 'v_prediction')).toEqual([1, 1, 1, 1]);
    // floor 1: x0 weight min(SNR, gamma) + 1, so v's weight tends to 1 at high noise instead of to 0
    const f = minSnrWeights(snr, 5, 'v_prediction', 1);
    [1.01 / 1.01, 2 / 2, 6 / 6, 6 / 101].forEach((want, i) => expect(f[i]).toBeCloseTo(want, 14));
    expect(minSnrWeights([0.5], 5, 'epsilon', 1)[0]).toBeCloseTo(1.5 / 0.5, 14);
  });

  it('the curriculum shows one object on a plain background for its steps, then the configured world', () => {
    const a = { curriculum_steps: 3, min_objects: 2, max_objects: 3, textures: ['striped', 'dotted'] as const, placement: 'anywhere' as const };
    for (const step of [0, 2]) {
      const w = worldAt(a, step);
      const scenes = Array.from({ length: 20 }, (_, i) => sceneAt(5, i, w).scene);
      expect(scenes.every((sc) => sc.objects.length === 1 && sc.background.texture === 'plain')).toBe(true);
    }
    const after = Array.from({ length: 20 }, (_, i) => sceneAt(5, i, worldAt(a, 3)).scene);
    expect(after.every((sc) => sc.objects.length >= 2 && sc.objects.length <= 3 && ['striped', 'dotted'].includes(sc.background.texture))).toBe(true);
  });

  it('--placement_jitter reaches the stream with placement centre; unset or 0, the stream is the exact centre as before', () => {
    const a = { curriculum_steps: 0, min_objects: 1, max_objects: 1, textures: ['plain'] as const, placement: 'centre' as const };
    expect(worldAt({ ...a, placement_jitter: 2 }, 0)).toMatchObject({ placement: 'centre', jitter: 2 });
    expect(worldAt({ ...a, placement_jitter: 0 }, 0)).not.toHaveProperty('jitter');
    expect(worldAt(a, 0)).not.toHaveProperty('jitter');
    const moved = Array.from({ length: 20 }, (_, i) => sceneAt(5, i, worldAt({ ...a, placement_jitter: 2 }, 0)).scene.objects[0]!);
    const still = Array.from({ length: 20 }, (_, i) => sceneAt(5, i, worldAt(a, 0)).scene.objects[0]!);
    expect(new Set(moved.map((o) => `${o.cx},${o.cy}`)).size).toBeGreaterThan(new Set(still.map((o) => `${o.cx},${o.cy}`)).size);
  });

  it('--shapes narrows the scenes of both stages to those shapes; unset, the stream is the same as before', () => {
    const a = { curriculum_steps: 2, min_objects: 1, max_objects: 2, textures: undefined, placement: 'anywhere' as const };
    const few = ['circle', 'square', 'triangle'] as const;
    for (const step of [0, 2]) {
      const scenes = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, worldAt({ ...a, shapes: few }, step)).scene);
      const seen = new Set(scenes.flatMap((sc) => sc.objects.map((o) => o.shape)));
      expect([...seen].sort()).toEqual([...few].sort());
    }
    // left unset, no shapes option reaches the stream: old checkpoints resume onto the same scenes
    expect(worldAt({ ...a, shapes: undefined }, 2)).not.toHaveProperty('shapes');
    const all = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, worldAt({ ...a, shapes: undefined }, 2)).scene.caption);
    const listed = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, { ...worldAt({ ...a, shapes: undefined }, 2), shapes: SHAPE_NAMES }).scene.caption);
    expect(listed).toEqual(all);
    expect(new Set(all.flatMap((c) => SHAPE_NAMES.filter((s) => c.includes(s)))).size).toBeGreaterThan(3);
  });

  it('--colours narrows the objects of both stages to those colours; unset, the stream is the same as before', () => {
    const a = { curriculum_steps: 2, min_objects: 1, max_objects: 2, textures: undefined, placement: 'anywhere' as const };
    const two = ['red', 'blue'] as const;
    for (const step of [0, 2]) {
      const scenes = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, worldAt({ ...a, colours: two }, step)).scene);
      expect([...new Set(scenes.flatMap((sc) => sc.objects.map((o) => o.colour)))].sort()).toEqual([...two].sort());
      // still distinct within a scene, so a colour word names one object
      for (const sc of scenes) expect(new Set(sc.objects.map((o) => o.colour)).size).toBe(sc.objects.length);
    }
    // one colour with one object: the shape is the caption's only object word
    const red = Array.from({ length: 20 }, (_, i) => sceneAt(5, i, worldAt({ ...a, max_objects: 1, colours: ['red'] }, 2)).scene);
    expect(red.every((sc) => sc.objects.length === 1 && sc.objects[0]!.colour === 'red')).toBe(true);
    expect(new Set(red.map((sc) => sc.objects[0]!.shape)).size).toBeGreaterThan(3);
    expect(worldAt({ ...a, colours: undefined }, 2)).not.toHaveProperty('colours');
    const all = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, worldAt(a, 2)).scene.caption);
    const listed = Array.from({ length: 40 }, (_, i) => sceneAt(5, i, { ...worldAt(a, 2), colours: COLOUR_NAMES }).scene.caption);
    expect(listed).toEqual(all);
    expect(() => sceneAt(5, 0, { ...worldAt(a, 2), colours: ['red'] })).toThrow(/2 objects need as many distinct colours, got 1/);
  });

  it('v-prediction with the pooled caption in the time embedding: the folder says so and the run differs from epsilon', async () => {
    const e = tmp.fresh('eps');
    const v = tmp.fresh('v');
    await new Pretrainer(args(e, { max_train_steps: 2, checkpointing_steps: 0 }), () => {}).train();
    await new Pretrainer(args(v, { max_train_steps: 2, checkpointing_steps: 0, prediction_type: 'v_prediction', addition_embed_type: 'text' }), () => {}).train();
    const m = loadModel(join(v, 'model'));
    expect(m.scheduler_config).toMatchObject({ prediction_type: 'v_prediction', clip_sample: true, beta_schedule: 'linear' });
    expect(m.unet.config.addition_embed_type).toBe('text');
    expect(m.unet.add_embedding).not.toBeNull();
    expect(loadModel(join(e, 'model')).unet.add_embedding).toBeNull();
    expect(metrics(v)[0]!.loss).not.toBe(metrics(e)[0]!.loss);
  }, 60_000);

  it('--conv_padding_mode circular: circular convs, and the folder says so', async () => {
    const z = tmp.fresh('zeros');
    const c = tmp.fresh('circ');
    await new Pretrainer(args(z, { max_train_steps: 1, checkpointing_steps: 0 }), () => {}).train();
    await new Pretrainer(args(c, { max_train_steps: 1, checkpointing_steps: 0, conv_padding_mode: 'circular' }), () => {}).train();
    const m = loadModel(join(c, 'model'));
    expect(m.unet.config.conv_padding_mode).toBe('circular');
    expect(m.unet.conv_in.padding_mode).toBe('circular');
    expect(loadModel(join(z, 'model')).unet.config.conv_padding_mode).toBe('zeros');
    // the mode is set after the init draws, so only the convs' border reads make the losses differ
    expect(metrics(c)[0]!.loss).not.toBe(metrics(z)[0]!.loss);
  }, 60_000);

  it('--resnet_time_scale_shift scale_shift: the saved UNet config says so, and the pipeline loads back with the wider projections', async () => {
    const d = tmp.fresh('ss');
    await new Pretrainer(args(d, { max_train_steps: 1, checkpointing_steps: 0, addition_embed_type: 'text', resnet_time_scale_shift: 'scale_shift' }), () => {}).train();
    const m = loadModel(join(d, 'model'));
    expect(m.unet.config.resnet_time_scale_shift).toBe('scale_shift');
    const r = m.unet.down_blocks.at(0).resnets.at(0);
    expect(r.time_emb_proj!.weight.shape).toEqual([2 * r.out_channels, r.time_emb_proj!.weight.shape[1]]);
    expect(Number.isFinite(metrics(d)[0]!.loss)).toBe(true);
  }, 60_000);

  it('a stop request ends after the current step with a checkpoint there', async () => {
    const c = tmp.fresh('c');
    const t = new Pretrainer(args(c, { checkpointing_steps: 0, sample_steps: 0 }), () => {});
    t.requestStop();
    expect(await t.train()).toEqual({ steps: 1, interrupted: true });
    expect(existsSync(join(c, 'checkpoint-1', 'ema.safetensors'))).toBe(true);
    expect(existsSync(join(c, 'model'))).toBe(false);
  }, 60_000);

  it('the CLI names a bad --resolution, --lr_scheduler, --pretrained_model_name_or_path, --textures, --shapes, --colours, --placement_jitter or --conv_padding_mode', async () => {
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.map(String).join(' ')));
    expect(await main(['pretrain', '--config', 'tiny', '--resolution', '40', '--output_dir', tmp.fresh('d'), '--backend', 'cpu'])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--resolution.*40/);
    errs.length = 0;
    expect(await main(['pretrain', '--lr_scheduler', 'step', '--output_dir', tmp.fresh('e')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--lr_scheduler/);
    errs.length = 0;
    expect(await main(['pretrain', '--pretrained_model_name_or_path', join(tmp.fresh('f'), 'nowhere'), '--output_dir', tmp.fresh('g'), '--backend', 'cpu'])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--pretrained_model_name_or_path.*nowhere/);
    errs.length = 0;
    expect(await main(['pretrain', '--textures', 'plain', 'woven', '--output_dir', tmp.fresh('h')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--textures.*woven/);
    errs.length = 0;
    expect(await main(['pretrain', '--shapes', 'circle', 'blob', '--output_dir', tmp.fresh('i')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--shapes.*blob/);
    errs.length = 0;
    expect(await main(['pretrain', '--placement_jitter', '2', '--output_dir', tmp.fresh('j')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--placement_jitter moves the centred object, so it needs --placement centre/);
    errs.length = 0;
    expect(await main(['pretrain', '--conv_padding_mode', 'reflect', '--output_dir', tmp.fresh('k')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--conv_padding_mode.*reflect/);
    errs.length = 0;
    expect(await main(['pretrain', '--colours', 'red', 'mauve', '--output_dir', tmp.fresh('l')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--colours.*mauve/);
    errs.length = 0;
    expect(await main(['pretrain', '--colours', 'red', '--max_objects', '2', '--output_dir', tmp.fresh('m')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--colours: --max_objects 2 needs as many colours/);
    errs.length = 0;
    expect(await main(['pretrain', '--colours', 'red', 'red', '--max_objects', '1', '--output_dir', tmp.fresh('n')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--colours: a colour is listed twice/);
    errs.length = 0;
    expect(await main(['pretrain', '--resnet_time_scale_shift', 'spatial', '--output_dir', tmp.fresh('o')])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--resnet_time_scale_shift.*spatial/);
  }, 60_000);

  it('--profile_steps N prints the per-kernel table of N steps after the warm-up, and names a bad N', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' ')));
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.map(String).join(' ')));
    const argv = ['pretrain', '--config', 'tiny', '--train_batch_size', '2', '--max_train_steps', '3', '--sample_steps', '0', '--checkpointing_steps', '0', '--backend', 'cpu'];
    expect(await main([...argv, '--output_dir', tmp.fresh('p'), '--profile_steps', '1'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/profile of 1 step after 2 warm-up steps/);
    // the UNet's convolutions run forward and in both backward products
    expect(text).toMatch(/\| conv2d +\| +forward \|/);
    expect(text).toMatch(/\| conv2dBackwardInput +\| +backward \|/);
    expect(await main([...argv, '--output_dir', tmp.fresh('q'), '--profile_steps', '0'])).not.toBe(0);
    expect(errs.join('\n')).toMatch(/--profile_steps.*0/);
  }, 60_000);
});
