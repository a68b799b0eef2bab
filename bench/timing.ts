// Timing: a warm-up call, then repeats until `budgetMs` is spent (at least `minReps`, at most
// `maxReps`); the median is reported, which shrugs off the noise of a shared 2-core machine.
export interface Timing {
  ms: number;
  reps: number;
}

export function time(fn: () => void, budgetMs = 400, minReps = 3, maxReps = 50): Timing {
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  // a slow op (TF.js cpu at 1024) gets one timed run after its warm-up
  const reps = first > budgetMs ? 1 : Math.max(minReps, Math.min(maxReps, Math.floor(budgetMs / Math.max(first, 1e-3))));
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    fn();
    ts.push(performance.now() - s);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)]!, reps };
}
