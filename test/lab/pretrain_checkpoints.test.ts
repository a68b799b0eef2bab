// `bas pretrain`'s checkpoints get bas train's handling (issue 15, shared code in
// bas/train/checkpoint_folder.ts): a killed run's temporaries and lock are cleared at the next
// start, `latest` falls back past a damaged checkpoint with a notice, and a full disk while a
// checkpoint is written is one clear error that keeps the previous checkpoint. Each resumed run
// ends bit-identical to the uninterrupted one.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PretrainConfig } from '../../lab/pretrain/config.js';
import { Pretrainer } from '../../lab/pretrain/pretrainer.js';
import { saveEmaModel } from '../../lab/pretrain/pretrain_checkpoint.js';
import { OutputWriteError } from '../../bas/train/write_errors.js';
import { getPlatform } from '../../platform/platform.js';
import { faultFiles } from '../helpers/fault_files.js';
import { differingTensors, readWeights, tempRoot } from '../helpers/tiny_model.js';
import { tinyPretrainConfig } from '../helpers/tiny_pretrain.js';

const tmp = tempRoot('bas-pretrain-checkpoints');
afterAll(() => tmp.cleanup());

function args(output_dir: string, over: Partial<PretrainConfig> = {}): PretrainConfig {
  return tinyPretrainConfig(output_dir, { checkpointing_steps: 1, ...over });
}

/** metrics.jsonl without the per-step wall time. */
const metrics = (dir: string): unknown[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => ({ ...(JSON.parse(l) as object), sec: 0 }));

/** The uninterrupted run: checkpoints after every step. */
let reference = '';
beforeAll(async () => {
  reference = tmp.fresh('reference');
  expect(await new Pretrainer(args(reference), () => {}).train()).toEqual({ steps: 4, interrupted: false });
});

/** The reference as a run killed after checkpoint-3 leaves it: checkpoints 1-3 and all four metrics lines. */
function killedRun(): string {
  const out = tmp.fresh('run');
  mkdirSync(out);
  for (const k of [1, 2, 3]) cpSync(join(reference, `checkpoint-${k}`), join(out, `checkpoint-${k}`), { recursive: true });
  cpSync(join(reference, 'metrics.jsonl'), join(out, 'metrics.jsonl'));
  return out;
}

async function resume(out: string): Promise<string[]> {
  const log: string[] = [];
  expect(await new Pretrainer(args(out, { resume_from_checkpoint: 'latest' }), (m) => log.push(m)).train()).toEqual({ steps: 4, interrupted: false });
  expect(metrics(out)).toEqual(metrics(reference));
  expect(differingTensors(readWeights(join(reference, 'model')), readWeights(join(out, 'model')))).toEqual([]);
  return log;
}

describe('bas pretrain after a fault', () => {
  it("a killed run's temporary checkpoint, staging folder and lock are cleared at the next start", async () => {
    const out = killedRun();
    const dead = ['checkpoint-4.tmp-4194999-0a1b2c3d', 'model.tmp-4194999-0a1b2c3e'];
    for (const n of dead) {
      mkdirSync(join(out, n, 'unet'), { recursive: true });
      writeFileSync(join(out, n, 'unet', 'diffusion_pytorch_model.safetensors'), 'half-written');
    }
    writeFileSync(join(out, '.bas-lock'), '4194999-0a1b2c3f\n');
    const log = await resume(out);
    expect(log).toContain(`note: took over the lock ${join(out, '.bas-lock')} of a run that is no longer running (pid 4194999)`);
    expect(log).toContain(`note: removed 2 unfinished temporary file(s) or folder(s) an interrupted run left in ${out}: ${dead.join(', ')}`);
    expect(log).toContain(`resuming from ${join(out, 'checkpoint-3')} at step 3`);
    expect(readdirSync(out).filter((n) => n.includes('.tmp-') || n === '.bas-lock')).toEqual([]);
  });

  it('latest with no checkpoint yet (a new folder, or a run killed before its first): a new run, with a notice', async () => {
    const fresh = tmp.fresh('fresh');
    expect(await resume(fresh)).toContain(`note: no complete checkpoint in ${fresh} yet: starting from step 0`);
    // killed before checkpoint-1: a metrics line, its dead lock, no checkpoint
    const killed = tmp.fresh('early');
    mkdirSync(killed);
    writeFileSync(join(killed, 'metrics.jsonl'), `${readFileSync(join(reference, 'metrics.jsonl'), 'utf8').split('\n')[0]}\n`);
    writeFileSync(join(killed, '.bas-lock'), '4194999-0a1b2c3f\n');
    const log = await resume(killed);
    expect(log.filter((l) => l.startsWith('note: '))).toEqual([
      `note: no complete checkpoint in ${killed} yet: starting from step 0`,
      `note: took over the lock ${join(killed, '.bas-lock')} of a run that is no longer running (pid 4194999)`,
    ]);
    // a finished model and no checkpoint: nothing to resume, an error as before
    const finished = tmp.fresh('finished');
    mkdirSync(finished);
    cpSync(join(reference, 'model'), join(finished, 'model'), { recursive: true });
    await expect(new Pretrainer(args(finished, { resume_from_checkpoint: 'latest' }), () => {}).train()).rejects.toThrow(/no checkpoint-N folder in/);
  });

  it('a damaged latest checkpoint (truncated EMA weights): falls back to checkpoint-2 with a notice', async () => {
    const out = killedRun();
    const file = join(out, 'checkpoint-3', 'ema.safetensors');
    truncateSync(file, statSync(file).size - 64);
    const log = await resume(out);
    const note = log.find((l) => l.startsWith('note: '));
    expect(note).toContain(`note: ${join(out, 'checkpoint-3')} cannot be resumed (`);
    expect(note).toContain('ema.safetensors');
    expect(note).toContain(`falling back to ${join(out, 'checkpoint-2')}, the newest complete checkpoint`);
    expect(log).toContain(`resuming from ${join(out, 'checkpoint-2')} at step 2`);
  });

  it('a resume whose command leaves off a recipe flag the optimizer depends on: the error names that flag', async () => {
    const out = killedRun();
    const run = new Pretrainer(args(out, { resume_from_checkpoint: join(out, 'checkpoint-3'), freeze_text_encoder: true }), () => {});
    await expect(run.train()).rejects.toThrow(/cannot be resumed: .*the command changes the checkpoint's recipe \(--freeze_text_encoder: checkpoint (false|unset), now true\)/);
  });

  it('ENOSPC while checkpoint-2 is written: one clear error, checkpoint-1 kept, no temporary folder', async () => {
    const out = tmp.fresh('full');
    const files = faultFiles(getPlatform().files, [{ op: 'writeFileAtomic', path: 'checkpoint-2\\.tmp-[\\w-]+/ema\\.safetensors$', action: 'ENOSPC' }]);
    const run = new Pretrainer(args(out), () => {}, null, { files, dir: out }).train();
    await expect(run).rejects.toThrow(OutputWriteError);
    await expect(run).rejects.toThrow(new RegExp(`^cannot write checkpoint ${join(out, 'checkpoint-2')}: ENOSPC: .*\\(the disk is full\\); the latest complete checkpoint, ${join(out, 'checkpoint-1')}, is kept`));
    expect(readdirSync(out).filter((n) => n.startsWith('checkpoint-') || n.includes('.tmp-') || n === '.bas-lock')).toEqual(['checkpoint-1']);
    expect(existsSync(join(out, 'checkpoint-1', 'state.json'))).toBe(true);
  });

  it('a resume with another --learning_rate: the restored schedule goes on at the new rate, with a notice', async () => {
    const out = killedRun();
    const log: string[] = [];
    await new Pretrainer(args(out, { resume_from_checkpoint: join(out, 'checkpoint-2'), learning_rate: 5e-3 }), (m) => log.push(m)).train();
    const lrs = (dir: string): number[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { lr: number }).lr);
    const [before, after] = [lrs(reference), lrs(out)];
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(before[2]).toBeGreaterThan(0);
    expect(after[2]).toBeCloseTo(before[2]! / 2, 15);
    expect(after[3]).toBeCloseTo(before[3]! / 2, 15);
    expect(log.join('\n')).toContain('--learning_rate: checkpoint 0.01, now 0.005');
  });
});

describe('saveEmaModel', () => {
  it("a checkpoint's EMA weights as a pipeline folder: at the last step, the run's own final model", () => {
    const out = join(tmp.fresh('ema'), 'model');
    expect(saveEmaModel(join(reference, 'checkpoint-4'), out, getPlatform().files)).toEqual({ step: 4, ema_step: 4 });
    expect(differingTensors(readWeights(join(reference, 'model')), readWeights(out))).toEqual([]);
    // the raw weights differ from the EMA's, so the comparison above can fail
    expect(differingTensors(readWeights(join(reference, 'checkpoint-4', 'model')), readWeights(out)).length).toBeGreaterThan(0);
  });

  it('an EMA file of another model: an error naming it, and no folder written', () => {
    const ck = join(tmp.fresh('other'), 'checkpoint-4');
    cpSync(join(reference, 'checkpoint-4'), ck, { recursive: true });
    cpSync(join(reference, 'checkpoint-4', 'optimizer.safetensors'), join(ck, 'ema.safetensors'));
    expect(() => saveEmaModel(ck, join(ck, '..', 'model'), getPlatform().files)).toThrow(`${join(ck, 'ema.safetensors')}: `);
    expect(existsSync(join(ck, '..', 'model'))).toBe(false);
  });
});
