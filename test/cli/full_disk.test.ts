// A full disk (issue 15), injected as ENOSPC from the files layer (fault_files.ts) while `bas train`
// writes a checkpoint or its final model: exit 1 with one line naming what could not be written
// and the checkpoint that is kept, no temporary file or folder left behind, the previous
// checkpoint intact, and once there is room `latest` resumes to the uninterrupted run's results.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { cliSuite, tree } from '../helpers/cli.js';
import { diskFaults } from '../helpers/fault_files.js';
import { differingTensors, readWeights, trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-full-disk');
const { tmp } = suite;
const RUN = ['--phase1_train_steps', '2', '--phase2_train_steps', '2', '--checkpointing_steps', '1'];
const argv = (out: string, extra: readonly string[] = []): string[] => ['train', ...trainArgv(suite.model(), suite.scene(), out, [...RUN, ...extra])];

let reference = '';
beforeAll(async () => {
  reference = tmp.fresh('reference');
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(argv(reference))).toBe(0);
  quiet.mockRestore();
});

const { fault: diskFault, fix: diskFixed } = diskFaults();
afterEach(diskFixed);

/** Temporaries in the output folder or beside it (the final model's staging folder). */
function temporaries(out: string): string[] {
  return [...tree(out).filter((n) => n.includes('.tmp-')), ...readdirSync(dirname(out)).filter((n) => n.startsWith(`${basename(out)}.tmp-`))];
}

async function expectFullDiskError(out: string, what: string, kept: number): Promise<void> {
  expect(await main(argv(out))).toBe(1);
  const { errors } = suite.out();
  expect(errors).toHaveLength(1);
  expect(errors[0]).not.toContain('\n');
  expect(errors[0]).toMatch(new RegExp(`^bas train: error: cannot write ${what}: ENOSPC: no space left on device, write '.*' \\(the disk is full\\); `));
  expect(errors[0]).toContain(`the latest complete checkpoint, ${join(out, `checkpoint-${kept}`)}, is kept: resume from it once there is room`);
  expect(temporaries(out)).toEqual([]);
  expect(existsSync(join(out, '.bas-lock'))).toBe(false);
}

async function expectResumedAsReference(out: string, from: number): Promise<void> {
  diskFixed();
  expect(await main(argv(out, ['--resume_from_checkpoint', 'latest']))).toBe(0);
  expect(suite.out().logs).toContain(`resuming from ${join(out, `checkpoint-${from}`)} at step ${from}`);
  expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
  expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
}

describe('ENOSPC', () => {
  it('while checkpoint-2 is written: a clear error, checkpoint-1 kept, no temporary folder', async () => {
    const out = tmp.fresh('out');
    diskFault([{ op: 'writeFileAtomic', path: 'checkpoint-2\\.tmp-[\\w-]+/optimizer\\.safetensors$', action: 'ENOSPC' }]);
    await expectFullDiskError(out, `checkpoint ${join(out, 'checkpoint-2')}`, 1);
    expect(readdirSync(out).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-1']);
    await expectResumedAsReference(out, 1);
  });

  it('while the final model is written: a clear error, no half model and no staging folder, checkpoint-3 kept', async () => {
    const out = tmp.fresh('out');
    diskFault([{ op: 'writeFileAtomic', path: `${basename(out)}\\.tmp-[\\w-]+/unet/diffusion_pytorch_model\\.safetensors$`, action: 'ENOSPC' }]);
    await expectFullDiskError(out, `the model in ${out}`, 3);
    for (const part of ['model_index.json', 'unet', 'text_encoder']) expect(existsSync(join(out, part)), part).toBe(false);
    await expectResumedAsReference(out, 3);
  });
});
