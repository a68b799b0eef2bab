// The optional PyTorch anchor row of the bench (issue 11, item 5): runs bench/torch_unet.py, the
// `default` UNet in plain PyTorch, for one forward + backward step and returns its timing, or the
// reason the row was skipped (no python3, no torch, the script failing) so the bench runs without it.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UNet2DConditionModel, unetConfig } from '../nn/index.js';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'torch_unet.py');
/** A batch-16 step on one slow core is a few seconds; 7 of them plus start-up stay well inside this. */
const TIMEOUT_MS = 10 * 60 * 1000;

export interface TorchUnetResult {
  /** median ms of one forward + mean-square loss + backward */
  ms: number;
  /** median CPU time of the Python process per step (all threads), less inflated by a busy machine */
  cpu_ms: number;
  params: number;
  torch: string;
  threads: number;
  batch: number;
  /** "sdpa" (F.scaled_dot_product_attention, torch >= 2) or "math" (softmax(QK^T)V) */
  attn: string;
  /** the BLAS library the Python process loaded (Debian's reference libblas3 is slow) */
  blas: string;
  /** the interpreter that ran it */
  python: string;
}

interface ExecError {
  code?: string | number | null;
  killed?: boolean;
  signal?: string | null;
  stderr?: string;
  stdout?: string;
  message: string;
}

function isExecError(e: unknown): e is ExecError {
  return typeof e === 'object' && e !== null && 'message' in e;
}

/** The line that says what went wrong: a Python traceback's exception line (its last), else the first line. */
function firstErrorLine(e: unknown): string {
  if (!isExecError(e)) return String(e);
  if (e.code === 'ENOENT') return 'not found';
  if (e.killed || e.signal) return `killed (${e.signal ?? 'timeout'})`;
  const lines = (e.stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) return e.message.split('\n')[0] ?? 'failed';
  return lines[0]!.startsWith('Traceback') ? lines[lines.length - 1]! : lines[0]!;
}

/**
 * Interpreters to try: BAS_PYTHON alone when set; otherwise `python3` from PATH, then Debian's
 * /usr/bin/python3 (python3-torch installs into the system Python, which a pyenv or venv `python3`
 * earlier on PATH does not see).
 */
function interpreters(): string[] {
  const forced = process.env['BAS_PYTHON'];
  if (forced) return [forced];
  return process.platform === 'win32' ? ['python3'] : ['python3', '/usr/bin/python3'];
}

/** The first interpreter that can import torch, or why none could. */
async function findPython(): Promise<{ python: string } | { why: string }> {
  const tried: string[] = [];
  for (const python of interpreters()) {
    try {
      await run(python, ['-c', 'import torch'], { timeout: 120_000 });
      return { python };
    } catch (e) {
      const err = isExecError(e) && e.code === 'ENOENT' ? 'not found' : `import torch failed: ${firstErrorLine(e)}`;
      tried.push(`${python}: ${err}`);
    }
  }
  return { why: tried.join('; ') };
}

function isResult(v: unknown): v is Omit<TorchUnetResult, 'python'> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['ms'] === 'number' &&
    typeof r['cpu_ms'] === 'number' &&
    typeof r['params'] === 'number' &&
    typeof r['torch'] === 'string' &&
    typeof r['threads'] === 'number' &&
    typeof r['batch'] === 'number' &&
    typeof r['attn'] === 'string' &&
    typeof r['blas'] === 'string'
  );
}

/** The TypeScript `default` UNet's parameter count, which the PyTorch model must match. */
export function tsUnetParams(): number {
  const model = new UNet2DConditionModel(unetConfig('default'));
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

/**
 * The `default` UNet forward + backward in PyTorch at `batch` on `threads` CPU threads, with the
 * parameter count checked against the TypeScript model's; a string (starting "PyTorch row skipped")
 * when the row cannot run here.
 */
export async function torchUnetRow(batch: number, threads: number): Promise<TorchUnetResult | string> {
  const found = await findPython();
  if ('why' in found) return `PyTorch row skipped: ${found.why}`;
  const args = [SCRIPT, '--batch', String(batch), '--threads', String(threads), '--expect_params', String(tsUnetParams())];
  let stdout: string;
  try {
    ({ stdout } = await run(found.python, args, { timeout: TIMEOUT_MS, maxBuffer: 1 << 20 }));
  } catch (e) {
    return `PyTorch row skipped: ${found.python} bench/torch_unet.py failed: ${firstErrorLine(e)}`;
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    return `PyTorch row skipped: bench/torch_unet.py printed no JSON (last line: ${last.slice(0, 200)})`;
  }
  if (!isResult(parsed)) return `PyTorch row skipped: bench/torch_unet.py printed an unexpected result: ${last.slice(0, 200)}`;
  return { ...parsed, python: found.python };
}
