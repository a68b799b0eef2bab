// The second core's side of the SIMD kernels: a worker that instantiates the same module over the
// same shared memory and helps with the jobs the main thread posts through a control block of
// Int32 slots: GEMMs, and rows jobs of the memory-bound kernels over tensors that live in that
// memory (softmax, the activation maps, the convolutions' copies of plane_copies.ts, and the binary
// ops, strided copies, norms and sums of cpu/rows.ts; the JavaScript of both is inlined). A job is
// split into units (a product, or a range of its row panels) that both threads claim from one
// atomic counter, so a worker that is slow to wake (the other core busy with another process)
// costs nothing: the main thread claims every unit itself, then withdraws the job with a
// compare-exchange on `state` unless the worker has already taken it up.
// Kept as source text (plain JS, no imports) so it runs as a worker under any loader (tsx,
// vitest, plain node) or in a browser without a build step; the platform binds `workerData`.

import {
  adamwRows, binaryRows, groupNormBackwardRows, layerNormBackwardRows, layerNormParamColumns, normRows, startOf, stridedRows, sumRows,
} from '../cpu/rows.js';
import { padPlanesWasm, transposePlanesWasm, unpadPlanesWasm } from './plane_copies.js';

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
  /** the job's kind (KIND); a rows job runs rows [u * per, min(rows, (u + 1) * per)) as unit u */
  kind: 23,
  /** a rows job's integer arguments, up to (not including) `failed` */
  xargs: 24,
  /** 1 once a rows job threw on the worker (its units are lost: the main thread throws) */
  failed: 64,
  size: 65,
} as const;

/** Job kinds: the GEMM, and rows jobs of the memory-bound kernels (rows.ts, the softmax exports). */
export const KIND = { gemm: 0, softmax: 1, softmaxBackward: 2, binary: 3, map: 4, strided: 5, norm: 6, groupNormBackward: 7, pad: 8, unpad: 9, transpose: 10, sum: 11, layerNormBackward: 12, layerNormParams: 13, adamw: 14 } as const;

export const IDLE = 0;
export const POSTED = 1;
export const RUNNING = 2;

export const WORKER_SOURCE = `
const __name = (f) => f; // esbuild's keepNames helper, should the shipped source reference it
const binaryRows = (${binaryRows.toString()});
const startOf = (${startOf.toString()});
const stridedRows = (${stridedRows.toString()});
const normRows = (${normRows.toString()});
const groupNormBackwardRows = (${groupNormBackwardRows.toString()});
const padPlanesWasm = (${padPlanesWasm.toString()});
const unpadPlanesWasm = (${unpadPlanesWasm.toString()});
const transposePlanesWasm = (${transposePlanesWasm.toString()});
const sumRows = (${sumRows.toString()});
const layerNormBackwardRows = (${layerNormBackwardRows.toString()});
const layerNormParamColumns = (${layerNormParamColumns.toString()});
const adamwRows = (${adamwRows.toString()});
const scalars = new Float64Array(6);
const scalarBits = new Int32Array(scalars.buffer);
const pair = new Int32Array(2);
const pairF64 = new Float64Array(pair.buffer);
const { module, maps, memory, ctrl } = workerData;
const c = new Int32Array(ctrl);
const kernels = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const mapFns = new WebAssembly.Instance(maps, { env: { mem: memory } }).exports;
const mapNames = Object.keys(mapFns);
Atomics.store(c, ${CTRL.ready}, 1);
let seq = Atomics.load(c, ${CTRL.seq});
let heap = new Int32Array(memory.buffer);
let f32 = new Float32Array(memory.buffer);
let f64 = new Float64Array(memory.buffer);
function rowsUnit(kind, x, q0, q1) {
  if (kind === ${KIND.softmax}) kernels.softmax(x[0] + q0 * x[2] * 4, x[1] + q0 * x[2] * 4, q1 - q0, x[2]);
  else if (kind === ${KIND.softmaxBackward}) kernels.softmax_bwd(x[0] + q0 * x[3] * 4, x[1] + q0 * x[3] * 4, x[2] + q0 * x[3] * 4, q1 - q0, x[3]);
  else if (kind === ${KIND.map}) mapFns[mapNames[x[0]]](x[1] + 16 * q0, x[2] + 16 * q0, x[3] + 16 * q0, q1 - q0);
  else if (kind === ${KIND.strided}) {
    const r = x[3];
    stridedRows(f32, x[0], x[1], r, x.subarray(4, 4 + r), x.subarray(4 + r, 4 + 2 * r), x[2], q0, q1);
  } else if (kind === ${KIND.norm}) {
    pair[0] = x[9];
    pair[1] = x[10];
    normRows(f32, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], pairF64[0], q0, q1);
  } else if (kind === ${KIND.groupNormBackward}) groupNormBackwardRows(f32, f64, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], q0, q1);
  else if (kind === ${KIND.pad}) padPlanesWasm(kernels, x[0], x[1], x[2], x[3], x[4], x[5], q0, q1);
  else if (kind === ${KIND.unpad}) unpadPlanesWasm(kernels, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], q0, q1);
  else if (kind === ${KIND.transpose}) transposePlanesWasm(kernels, x[0], x[1], x[2], x[3], x[4], x[5], x[6], q0, q1);
  else if (kind === ${KIND.layerNormBackward}) layerNormBackwardRows(f32, x[0], x[1], x[2], x[3], x[4], x[5], x[6], q0, q1);
  else if (kind === ${KIND.layerNormParams}) layerNormParamColumns(f32, f64, x[0], x[1], x[2], x[3], x[4], x[5], x[6], q0, q1);
  else if (kind === ${KIND.adamw}) {
    scalarBits.set(x.subarray(5, 17));
    adamwRows(f32, x[0], f32, x[1], f32, x[2], f32, x[3], f32, x[4], scalars[0], scalars[1], scalars[2], scalars[3], scalars[4], scalars[5], q0, q1);
  } else if (kind === ${KIND.sum}) {
    const k = x[2];
    sumRows(f32, f64, x[0], x[1], k, x.subarray(5, 5 + k), x.subarray(5 + k, 5 + 2 * k), x.subarray(5 + 2 * k, 5 + 3 * k), x[3], x[4], q0, q1);
  } else if (kind === ${KIND.binary}) {
    const r = x[4];
    binaryRows(x[0], f32, x[1], f32, x[2], f32, x[3], r, x.subarray(5, 5 + r), x.subarray(5 + r, 5 + 2 * r), x.subarray(5 + 2 * r, 5 + 3 * r), q0, q1);
  } else throw new Error('no rows job of kind ' + kind);
}
for (;;) {
  Atomics.wait(c, ${CTRL.seq}, seq);
  seq = Atomics.load(c, ${CTRL.seq});
  if (Atomics.compareExchange(c, ${CTRL.state}, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
  if (heap.length * 4 < memory.buffer.byteLength) {
    heap = new Int32Array(memory.buffer);
    f32 = new Float32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
  }
  const kind = c[${CTRL.kind}];
  if (kind !== ${KIND.gemm}) {
    const x = c.slice(${CTRL.xargs}, ${CTRL.failed});
    const units = c[${CTRL.units}], per = c[${CTRL.per}], total = c[${CTRL.mp}];
    try {
      for (let u = Atomics.add(c, ${CTRL.next}, 1); u < units; u = Atomics.add(c, ${CTRL.next}, 1)) rowsUnit(kind, x, u * per, Math.min(total, (u + 1) * per));
    } catch (err) {
      console.error('bas: the SIMD worker failed in a rows job of kind ' + kind + ':', err);
      Atomics.store(c, ${CTRL.failed}, 1);
    }
    Atomics.store(c, ${CTRL.state}, ${IDLE});
    Atomics.notify(c, ${CTRL.state});
    continue;
  }
  const a = ${CTRL.args};
  const gemm = c[${CTRL.fma}] === 1 ? kernels.gemm_fma : kernels.gemm;
  const k = c[a + 1], aStep = c[a + 5], bStep = c[a + 7], kBlock = c[a + 12];
  const units = c[${CTRL.units}], per = c[${CTRL.per}], rows = c[${CTRL.rows}], mp = c[${CTRL.mp}], table = c[${CTRL.entries}] >>> 2;
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
