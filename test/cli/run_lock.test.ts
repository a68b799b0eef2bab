// One run per --output_dir (issue 15): a second `bas train` into a folder a running one holds
// refuses with one line naming the folder and the holder's pid, and touches nothing; a lock whose
// process is gone is taken over with a notice; two runs in one process are told apart too.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../bas/errors.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { LOCK_FILE } from '../../bas/train/run_lock.js';
import { main } from '../../cli/main.js';
import { runCli } from '../helpers/cli_child.js';
import { cliSuite, expectRejected } from '../helpers/cli.js';
import { tinyTrainConfig, trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-run-lock');
const { tmp } = suite;

/** Resolves once `check` holds, polling every 50 ms (at most `ms`). */
async function until(check: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two runs into one --output_dir', () => {
  it('the second refuses while the first runs (a process stopped mid-run), naming the folder and its pid; the first then finishes', async () => {
    const out = tmp.fresh('shared');
    let pid = 0;
    // the first run stops itself (SIGSTOP) right after its first metrics line: it holds the folder
    const first = runCli(['train', ...trainArgv(suite.model(), suite.scene(), out)], [{ op: 'appendText', path: 'metrics\\.jsonl$', when: 'after', action: 'SIGSTOP' }], (p) => (pid = p));
    const metrics = join(out, 'metrics.jsonl');
    await until(() => existsSync(metrics) && readFileSync(metrics, 'utf8').includes('\n'));
    expect(readFileSync(join(out, LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${pid}-`));
    try {
      const lock = join(out, LOCK_FILE);
      const line = `--output_dir ${out} is in use by another run (pid ${pid}, lock ${lock}); wait for it to end or choose another --output_dir`;
      // a fresh run and a resuming one alike, and the folder as the first run left it
      expect(await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), out)], [line], [out])).toBe(`bas train: error: ${line}`);
      expect(await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), out, ['--resume_from_checkpoint', 'latest'])], [line], [out])).toBe(`bas train: error: ${line}`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const r = await first;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'model_index.json'))).toBe(true);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('a lock whose process is gone is taken over with a notice, and removed at the end', async () => {
    const { out } = suite.caseDir();
    mkdirSync(out);
    // pid 4194999 is above Linux's largest pid: no such process
    writeFileSync(join(out, LOCK_FILE), '4194999-0a1b2c3d\n');
    expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), out)])).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(suite.out().logs).toContain(`note: took over the lock ${join(out, LOCK_FILE)} of a run that is no longer running (pid 4194999)`);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('two trainers in one process: the second refuses while the first runs', async () => {
    const out = tmp.fresh('same-process');
    const config = tinyTrainConfig(suite.model(), suite.scene(), out);
    const quiet = { log: (): void => undefined };
    // train() takes the lock before its first await, so the first holds it from here
    const first = new BreakASceneTrainer(config, quiet).train();
    const second = new BreakASceneTrainer(config, quiet).train();
    await expect(second).rejects.toThrow(InputError);
    await expect(second).rejects.toThrow(new RegExp(`^output_dir ${out} is in use by another run \\(pid ${process.pid}, `));
    expect((await first).steps).toBe(6);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
