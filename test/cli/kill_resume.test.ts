// kill -9 and a second Ctrl-C at exact moments of a `bas train` run in a child process (issue 15):
// after the first step, inside a checkpoint's write (after its UNet weights, before its rename),
// right after a checkpoint is renamed into place, and while the final model is written. Each time
// `--resume_from_checkpoint latest` resumes from the last complete checkpoint (the unfinished
// temporaries removed and the dead run's lock taken over, each with a notice), and the resumed
// run's metrics.jsonl and final weights are bit-identical to an uninterrupted run's.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { runCli, type ChildResult } from '../helpers/cli_child.js';
import { cliSuite } from '../helpers/cli.js';
import type { FaultRule } from '../helpers/fault_files.js';
import { differingTensors, readWeights, trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-kill-resume');
const { tmp } = suite;
/** 2 + 2 steps, a checkpoint after steps 1, 2 and 3 (none after the last: the model is saved). */
const RUN = ['--phase1_train_steps', '2', '--phase2_train_steps', '2', '--checkpointing_steps', '1'];
const argv = (out: string, extra: readonly string[] = []): string[] => ['train', ...trainArgv(suite.model(), suite.scene(), out, [...RUN, ...extra])];

interface Case {
  name: string;
  faults: (out: string) => FaultRule[];
  /** The checkpoint the resume starts from (0: none, a fresh start). */
  from: number;
}

const KILLS: Case[] = [
  { name: 'after the first step, before any checkpoint', faults: () => [{ op: 'appendText', path: 'metrics\\.jsonl$', when: 'after', action: 'SIGKILL' }], from: 0 },
  { name: "inside checkpoint-2's write, after its UNet weights", faults: () => [{ op: 'writeFileAtomic', path: 'checkpoint-2\\.tmp-[\\w-]+/.*unet/diffusion_pytorch_model\\.safetensors$', when: 'after', action: 'SIGKILL' }], from: 1 },
  { name: "inside checkpoint-3's write, just before its rename into place", faults: () => [{ op: 'rename', path: 'checkpoint-3\\.tmp-[\\w-]+$', action: 'SIGKILL' }], from: 2 },
  { name: 'right after checkpoint-2 is renamed into place', faults: () => [{ op: 'rename', path: 'checkpoint-2\\.tmp-[\\w-]+$', when: 'after', action: 'SIGKILL' }], from: 2 },
  { name: 'while the final model is written', faults: (out) => [{ op: 'writeFileAtomic', path: `${basename(out)}\\.tmp-[\\w-]+/text_encoder/model\\.safetensors$`, when: 'after', action: 'SIGKILL' }], from: 3 },
];

let reference = '';
const killed = new Map<string, { out: string; result: ChildResult }>();
beforeAll(async () => {
  reference = tmp.fresh('reference');
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(argv(reference))).toBe(0);
  quiet.mockRestore();
  // the killed runs, all at once (each a process of its own)
  await Promise.all(
    KILLS.map(async (c) => {
      const out = tmp.fresh('killed');
      killed.set(c.name, { out, result: await runCli(argv(out), c.faults(out)) });
    }),
  );
}, 600_000);

function expectSameAsReference(out: string): void {
  expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
  expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
}

/** Names in `dir` (and beside it, for the final model's staging folder) that are temporaries. */
function temporaries(out: string): string[] {
  const inside = existsSync(out) ? readdirSync(out).filter((n) => n.includes('.tmp-')) : [];
  const beside = readdirSync(dirname(out)).filter((n) => n.startsWith(`${basename(out)}.tmp-`));
  return [...inside, ...beside.map((n) => `../${n}`)];
}

const completeCheckpoints = (out: string): number[] =>
  readdirSync(out)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(out, m[0], 'training_state.json')))
    .map((m) => Number(m[1]))
    .sort();

describe('kill -9, then --resume_from_checkpoint latest', () => {
  for (const c of KILLS) {
    it(c.name, async () => {
      const { out, result } = killed.get(c.name)!;
      expect(result.signal, result.stderr).toBe('SIGKILL');
      // what the kill left: the complete checkpoints up to `from`, the dead run's lock
      expect(completeCheckpoints(out)).toEqual(Array.from({ length: c.from }, (_, i) => i + 1));
      expect(existsSync(join(out, '.bas-lock'))).toBe(true);
      const leftovers = temporaries(out);
      if (c.from === 1 || c.name.startsWith('inside')) expect(leftovers.some((n) => n.startsWith(`checkpoint-${c.from + 1}.tmp-`))).toBe(true);
      if (c.name.includes('final model')) expect(leftovers.some((n) => n.startsWith('../'))).toBe(true);

      expect(await main(argv(out, ['--resume_from_checkpoint', 'latest']))).toBe(0);
      const { logs, errors } = suite.out();
      expect(errors).toEqual([]);
      expect(logs.some((l) => l.startsWith(`note: took over the lock ${join(out, '.bas-lock')} of a run that is no longer running (pid `))).toBe(true);
      if (leftovers.length > 0) expect(logs).toContain(`note: removed ${leftovers.length} unfinished temporary file(s) or folder(s) an interrupted run left in ${out}: ${leftovers.join(', ')}`);
      expect(logs).toContain(c.from === 0 ? `note: no complete checkpoint in ${out} yet: starting from step 0` : `resuming from ${join(out, `checkpoint-${c.from}`)} at step ${c.from}`);
      expectSameAsReference(out);
      expect(temporaries(out)).toEqual([]);
      expect(existsSync(join(out, '.bas-lock'))).toBe(false);
    });
  }
});

describe('a second Ctrl-C', () => {
  it('ends the run at once, inside the checkpoint the first one asked for; the last complete checkpoint resumes bit-identically', async () => {
    const out = tmp.fresh('twice');
    // checkpoints every 2 steps; Ctrl-C after step 3 asks for checkpoint-3, Ctrl-C again while it is written
    const flags = ['--checkpointing_steps', '2'];
    const faults: FaultRule[] = [
      { op: 'appendText', path: 'metrics\\.jsonl$', nth: 3, when: 'after', action: 'SIGINT' },
      { op: 'writeFileAtomic', path: 'checkpoint-3\\.tmp-[\\w-]+/.*unet/diffusion_pytorch_model\\.safetensors$', when: 'after', action: 'SIGINT' },
    ];
    const r = await runCli(argv(out, flags), faults);
    // the signal's own default action ended it: no listener waited for the write to finish
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stdout.match(/interrupt: stopping after this step/g)).toHaveLength(1);
    expect(completeCheckpoints(out)).toEqual([2]);
    expect(temporaries(out).filter((n) => n.startsWith('checkpoint-3.tmp-'))).toHaveLength(1);

    expect(await main(argv(out, [...flags, '--resume_from_checkpoint', 'latest']))).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(suite.out().logs).toContain(`resuming from ${join(out, 'checkpoint-2')} at step 2`);
    expectSameAsReference(out);
    expect(temporaries(out)).toEqual([]);
  });
});
