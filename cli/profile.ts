// --profile_steps N for the training commands: two warm-up steps (JIT tiers, wasm compiles, the
// second-core worker starting), then N profiled steps whose table is printed per step.
import { formatProfile, StepProfiler } from '../core/index.js';
import { UsageError } from './args.js';

export const PROFILE_FLAG = {
  type: 'int',
  help: 'after 2 warm-up steps, profile N steps and print the time per kernel and op, outside kernels and in GC',
} as const;

const WARMUP_STEPS = 2;

export function profilerFor(steps: number | undefined, log: (m: string) => void = (m) => console.log(m)): StepProfiler | null {
  if (steps === undefined) return null;
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--profile_steps must be a positive integer, got ${steps}`);
  return new StepProfiler(WARMUP_STEPS, steps, (r, n) => log(`\nprofile of ${n} step${n === 1 ? '' : 's'} after ${WARMUP_STEPS} warm-up steps (per step):\n${formatProfile(r, { steps: n })}\n`));
}
