// The second core's side of the GEMM: a worker that instantiates the same module over the same
// shared memory and helps with the jobs the main thread posts through a control block of Int32
// slots. A job is split into units (a product, or a range of its row panels) that both threads
// claim from one atomic counter, so a worker that is slow to wake (the other core busy with
// another process) costs nothing: the main thread claims every unit itself, then withdraws the
// job with a compare-exchange on `state` unless the worker has already taken it up.
// Kept as source text (plain JS, no imports) so it runs as a worker under any loader (tsx,
// vitest, plain node) or in a browser without a build step; the platform binds `workerData`.

/** Control block slots (Int32 indices). */
export const CTRL = {
  /** bumped by the main thread to post a job */
  seq: 0,
  /** IDLE, POSTED (waiting for a taker), RUNNING (the worker took it up) */
  state: 1,
  /** 1 once the worker has instantiated the module */
  ready: 2,
  /** the unit counter both threads claim from, and the unit count */
  next: 3,
  units: 4,
  /** unit u: product floor(u / per) of the entry table, row panels [(u % per) * rows, + rows) up to mp */
  per: 5,
  rows: 6,
  mp: 7,
  /** byte address of the entry table (3 i32 per product: ap, bp, cp) */
  entries: 8,
  /** the shared kernel arguments: np, k, ldc, aPanel, aRow, aStep, bPanel, bStep, segs, nseg,
   * accumulate, scale, and kBlock (k steps per kernel call; later blocks add into C, the last scales) */
  args: 9,
  /** 1: run the fused multiply-add kernel (gemm_fma) */
  fma: 22,
  size: 23,
} as const;

export const IDLE = 0;
export const POSTED = 1;
export const RUNNING = 2;

export const WORKER_SOURCE = `
const { module, memory, ctrl } = workerData;
const c = new Int32Array(ctrl);
const kernels = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
Atomics.store(c, ${CTRL.ready}, 1);
let seq = Atomics.load(c, ${CTRL.seq});
let heap = new Int32Array(memory.buffer);
for (;;) {
  Atomics.wait(c, ${CTRL.seq}, seq);
  seq = Atomics.load(c, ${CTRL.seq});
  if (Atomics.compareExchange(c, ${CTRL.state}, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
  if (heap.length * 4 < memory.buffer.byteLength) heap = new Int32Array(memory.buffer);
  const a = ${CTRL.args};
  const gemm = c[${CTRL.fma}] === 1 ? kernels.gemm_fma : kernels.gemm;
  const k = c[a + 1], aStep = c[a + 5], bStep = c[a + 7], kBlock = c[a + 12];
  const units = c[${CTRL.units}], per = c[${CTRL.per}], rows = c[${CTRL.rows}], mp = c[${CTRL.mp}], table = c[${CTRL.entries}] >> 2;
  for (let u = Atomics.add(c, ${CTRL.next}, 1); u < units; u = Atomics.add(c, ${CTRL.next}, 1)) {
    const q = table + 3 * Math.floor(u / per);
    const i0 = (u % per) * rows;
    for (let p0 = 0; p0 < k; p0 += kBlock) {
      const last = p0 + kBlock >= k;
      gemm(heap[q] + p0 * aStep, heap[q + 1] + p0 * bStep, heap[q + 2], i0, Math.min(mp, i0 + rows), c[a], last ? k - p0 : kBlock,
        c[a + 2], c[a + 3], c[a + 4], aStep, c[a + 6], bStep, c[a + 8], c[a + 9], c[a + 10] === 1 || p0 > 0 ? 1 : 0, last ? c[a + 11] : 0x3f800000);
    }
  }
  Atomics.store(c, ${CTRL.state}, ${IDLE});
  Atomics.notify(c, ${CTRL.state});
}
`;
