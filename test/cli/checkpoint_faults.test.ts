// Checkpoints after a fault (issue 15): the checkpoint-N.tmp-* folders a killed run left are
// removed when the next run starts (one whose writer still runs is kept), and `latest` passes over
// a damaged newest checkpoint to the previous complete one with a one-line notice, the resumed run
// then ending bit-identical to an uninterrupted one.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { cliSuite, tree } from '../helpers/cli.js';
import { differingTensors, readWeights, trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-checkpoint-faults');
const { tmp } = suite;
/** A finished 3-step run with checkpoint-1 and checkpoint-2: the reference. */
let reference = '';
const RUN = ['--phase1_train_steps', '2', '--phase2_train_steps', '1', '--checkpointing_steps', '1'];
beforeAll(async () => {
  reference = tmp.fresh('reference');
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), reference, RUN)])).toBe(0);
  quiet.mockRestore();
  expect(existsSync(join(reference, 'checkpoint-2', 'training_state.json'))).toBe(true);
});

/** A copy of the reference run as a killed run would leave it: the checkpoints, no final model. */
function killedRun(): string {
  const out = tmp.fresh('run');
  cpSync(reference, out, { recursive: true });
  for (const n of ['model_index.json', 'unet', 'text_encoder', 'tokenizer', 'scheduler', 'img_logs']) rmSync(join(out, n), { recursive: true, force: true });
  return out;
}

const resume = (out: string): Promise<number> => main(['train', ...trainArgv(suite.model(), suite.scene(), out, [...RUN, '--resume_from_checkpoint', 'latest'])]);

function expectSameAsReference(out: string): void {
  expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
  expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
}

describe('leftover temporary checkpoint folders', () => {
  it('are removed when the next run starts, with one notice; a live writer\'s is kept', async () => {
    const out = killedRun();
    // pid 4194999 is above Linux's largest pid: its writer is gone
    const dead = 'checkpoint-3.tmp-4194999-0a1b2c3d';
    const live = `checkpoint-3.tmp-${process.ppid}-deadbeef`;
    for (const n of [dead, live]) {
      mkdirSync(join(out, n, 'model'), { recursive: true });
      writeFileSync(join(out, n, 'model', 'half.safetensors'), 'half-written');
    }
    // a name of the user's that only looks temporary is not one of ours
    writeFileSync(join(out, 'notes.tmp-old'), 'mine');
    expect(await resume(out)).toBe(0);
    expect(existsSync(join(out, 'notes.tmp-old'))).toBe(true);
    expect(suite.out().errors).toEqual([]);
    expect(suite.out().logs).toContain(`note: removed 1 unfinished temporary file(s) or folder(s) an interrupted run left in ${out}: ${dead}`);
    expect(existsSync(join(out, dead))).toBe(false);
    expect(existsSync(join(out, live))).toBe(true);
    expectSameAsReference(out);
  });
});

describe('a damaged latest checkpoint', () => {
  it('a truncated optimizer file: falls back to checkpoint-1 with a notice, and ends bit-identical', async () => {
    const out = killedRun();
    const file = join(out, 'checkpoint-2', 'optimizer.safetensors');
    truncateSync(file, statSync(file).size - 100);
    expect(await resume(out)).toBe(0);
    expect(suite.out().errors).toEqual([]);
    const note = suite.out().logs.find((l) => l.startsWith('note: '));
    expect(note).toContain(`note: ${join(out, 'checkpoint-2')} cannot be resumed (`);
    expect(note).toContain('optimizer.safetensors');
    expect(note).toContain(`falling back to ${join(out, 'checkpoint-1')}, the newest complete checkpoint`);
    expect(suite.out().logs).toContain(`resuming from ${join(out, 'checkpoint-1')} at step 1`);
    expectSameAsReference(out);
  });

  it('corrupt UNet weights in the newest two of three: falls back past both', async () => {
    const out = killedRun();
    // a third checkpoint, as a longer run would have: a copy of checkpoint-2 named 3
    cpSync(join(out, 'checkpoint-2'), join(out, 'checkpoint-3'), { recursive: true });
    for (const k of [2, 3]) writeFileSync(join(out, `checkpoint-${k}`, 'model', 'unet', 'diffusion_pytorch_model.safetensors'), Buffer.alloc(16, 0xff));
    expect(await resume(out)).toBe(0);
    expect(suite.out().logs.find((l) => l.startsWith('note: '))).toMatch(
      new RegExp(`^note: ${join(out, 'checkpoint-3')}, ${join(out, 'checkpoint-2')} cannot be resumed \\(.*header length.*\\); falling back to ${join(out, 'checkpoint-1')},`),
    );
    expectSameAsReference(out);
  });

  it('when no checkpoint loads: the newest one\'s error, one line, and the folder untouched', async () => {
    const out = killedRun();
    for (const k of [1, 2]) writeFileSync(join(out, `checkpoint-${k}`, 'training_state.json'), '{"format": "something else"}');
    const before = tree(out);
    expect(await resume(out)).toBe(2);
    expect(suite.out().errors).toEqual([`bas train: error: ${join(out, 'checkpoint-2', 'training_state.json')}: not a bas-ts checkpoint`]);
    expect(tree(out)).toEqual(before);
  });
});

describe('pruning', () => {
  const steps = ['--phase1_train_steps', '3', '--phase2_train_steps', '2', '--checkpointing_steps', '1'];
  const checkpoints = (out: string): string[] => readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort();

  it('keeps the newest 3 checkpoints by default; --checkpoints_total_limit sets another number', async () => {
    const out = tmp.fresh('pruned');
    expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), out, steps)])).toBe(0);
    expect(checkpoints(out)).toEqual(['checkpoint-2', 'checkpoint-3', 'checkpoint-4']);
    const all = tmp.fresh('kept');
    expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), all, [...steps, '--checkpoints_total_limit', '10'])])).toBe(0);
    expect(checkpoints(all)).toEqual(['checkpoint-1', 'checkpoint-2', 'checkpoint-3', 'checkpoint-4']);
  });
});
