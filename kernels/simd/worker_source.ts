// The second core's side of the GEMM: a worker that instantiates the same module over the same
// shared memory and runs the jobs the main thread posts through a control block of Int32 slots.
// Kept as source text (plain JS, no imports) so it runs as an eval worker under any loader
// (tsx, vitest, plain node) without a build step.

/** Control block slots (Int32 indices). */
export const CTRL = {
  /** bumped by the main thread to post a job */
  seq: 0,
  /** set to seq by the worker when that job is done */
  done: 1,
  /** 1 once the worker has instantiated the module */
  ready: 2,
  /** job: count of matrices, then per-matrix byte strides, then the gemm arguments */
  count: 3,
  strideA: 4,
  strideB: 5,
  strideC: 6,
  args: 7, // ap, bp, cp, i0, i1, np, k, ldc
  size: 16,
} as const;

export const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl } = workerData;
const c = new Int32Array(ctrl);
const gemm = new WebAssembly.Instance(module, { env: { mem: memory } }).exports.gemm;
Atomics.store(c, ${CTRL.ready}, 1);
let seq = Atomics.load(c, ${CTRL.seq});
for (;;) {
  Atomics.wait(c, ${CTRL.seq}, seq);
  seq = Atomics.load(c, ${CTRL.seq});
  if (seq < 0) break;
  const n = c[${CTRL.count}], sa = c[${CTRL.strideA}], sb = c[${CTRL.strideB}], sc = c[${CTRL.strideC}];
  const a = ${CTRL.args};
  for (let t = 0; t < n; t++) {
    gemm(c[a] + t * sa, c[a + 1] + t * sb, c[a + 2] + t * sc, c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7]);
  }
  Atomics.store(c, ${CTRL.done}, seq);
  Atomics.notify(c, ${CTRL.done});
}
`;
