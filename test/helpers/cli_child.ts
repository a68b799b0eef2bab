// `bas` as a child process for the fault tests: main(argv), with the platform's files wrapped by
// faultFiles (fault_files.ts) under the rules given as JSON in BAS_TEST_FAULTS. A test file, run
// only by tests (runCli below spawns it); the library and the `bas` command know nothing of it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { getPlatform, setPlatform } from '../../platform/platform.js';
import { faultFiles, type FaultRule } from './fault_files.js';

export interface ChildResult {
  /** The exit status, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `bas argv...` in a child process with `faults` injected; resolves once it has ended. `started` gets the child's pid. */
export function runCli(argv: readonly string[], faults: readonly FaultRule[] = [], started?: (pid: number) => void): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...argv], {
    env: { ...process.env, BAS_TEST_FAULTS: JSON.stringify(faults) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) started?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const isEntry = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry) {
  const rules = JSON.parse(process.env['BAS_TEST_FAULTS'] ?? '[]') as FaultRule[];
  const platform = getPlatform();
  setPlatform({ ...platform, files: faultFiles(platform.files, rules) });
  process.exitCode = await main(process.argv.slice(2));
}
