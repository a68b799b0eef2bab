// The SIMD GEMM micro-kernel as a WebAssembly module: C tile (4 x 8) = A panel (4 x k) @ B panel
// (k x 8) with eight f32x4 accumulators held in registers for the whole k loop. That register
// tiling is what per-cell kernel languages (gpu.js included) cannot express, and it is where the
// speed comes from: per k step, 2 vector loads and 4 splat loads feed 8 multiply-adds. With
// `fma` each multiply-add is one relaxed-SIMD f32x4.relaxed_madd (a fused multiply-add on x64 with
// FMA3, rounding once), else an f32x4.mul then an f32x4.add. A 6 x 8 tile (12 accumulators) was
// slower: V8 hoists the 6 splats above the multiply-adds, which then needs more than the 15 xmm
// registers it allocates and spills accumulators (README, performance).
import { Body, I32, moduleBytes, V128 } from './emit.js';
import { softmaxBackwardBody, softmaxBody } from './softmax_module.js';
import { copyRowsBody, scatterRowsBody, zeroBody } from './copy_module.js';

/** Panel geometry shared with the packing code in gemm.ts. */
export const MR = 4;
export const NR = 8;

/** f32x4.relaxed_madd(a, b, c) = a * b + c: relaxed SIMD opcode 0x105 (LEB128 0x85 0x02). */
const RELAXED_MADD = [0xfd, 0x85, 0x02] as const;

/**
 * gemm(ap, bp, cp, i0, i1, np, k, ldc, aPanel, aRow, aStep, bPanel, bStep, segs, nseg, accumulate, scale):
 * for row panels i0..i1 and all np column panels, C[4i.., 8j..] (+)= sum over segments s of
 * A_s[4i.., :] @ B_s[:, 8j..], each segment k steps long. Operands are read through byte strides,
 * so one kernel serves packed panels and matrices in their own layout: row r of A panel i at step
 * p of segment s is the f32 at ap + i*aPanel + r*aRow + p*aStep + dA_s (packed: k*16, 4, 16;
 * row-major A: 16*lda, 4*lda, 4; transposed A: 16, 4, 4*lda), and the 8 B values of panel j start
 * at bp + j*bPanel + p*bStep + dB_s (packed: k*32, 32; row-major B: 32, 4*ldb). The segment table
 * at `segs` holds nseg (dA, dB) i32 pairs: one (0, 0) for a plain product; a convolution's kernel
 * taps (or the images of a batch) for a sum of shifted products, kept in registers throughout.
 * C rows are `ldc` bytes apart. With `accumulate` nonzero the tile starts from the C already there
 * (a later block of k, see runGemm), else from zero. `scale` holds the bits of a float32 that the
 * tile is multiplied by as it is stored (attention's 1/sqrt(d); one rounding per value, as a
 * separate float32 multiply gives; 1.0 skips it). Byte addresses; k >= 1, nseg >= 1.
 */
function gemmBody(fma: boolean): Body {
  const f = new Body(17);
  const [ap, bp, cp, i0, i1, np, k, ldc, aPanel, aRow, aStep, bPanel, bStep, segs, nseg, accumulate, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const i = f.local(I32);
  const j = f.local(I32);
  const p = f.local(I32);
  const a = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)] as const;
  const b = f.local(I32);
  const c = f.local(I32);
  const aBase = f.local(I32);
  const bBase = f.local(I32);
  const s = f.local(I32);
  const sEnd = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const b0 = f.local(V128);
  const b1 = f.local(V128);
  const av = f.local(V128);

  f.get(segs).get(nseg).i32(8).mul().add().set(sEnd);
  f.get(i0).set(i);
  f.block().get(i).get(i1).op(0x4e /* i32.ge_s */).brIf(0);
  f.loop(); // row panels
  f.i32(0).set(j);
  f.block().get(j).get(np).op(0x4e).brIf(0);
  f.loop(); // column panels
  f.get(ap).get(i).get(aPanel).mul().add().set(aBase);
  f.get(bp).get(j).get(bPanel).mul().add().set(bBase);
  // c = cp + 4i*ldc + 32j: four rows of two vectors
  f.get(cp).get(i).i32(4).mul().get(ldc).mul().add().get(j).i32(32).mul().add().set(c);
  f.get(accumulate).if();
  for (let r = 0; r < 4; r++) {
    f.get(c).v128Load(0).set(acc[2 * r]!);
    f.get(c).v128Load(16).set(acc[2 * r + 1]!);
    f.get(c).get(ldc).add().set(c);
  }
  f.get(c).get(ldc).i32(4).mul().sub().set(c);
  f.else();
  for (const r of acc) f.v128Zero().set(r);
  f.end();
  f.get(segs).set(s);
  f.loop(); // segments
  f.get(aBase).get(s).i32Load(0).add().set(a[0]);
  for (let r = 1; r < 4; r++) f.get(a[r - 1]!).get(aRow).add().set(a[r]!);
  f.get(bBase).get(s).i32Load(4).add().set(b);
  f.get(k).set(p);
  f.loop(); // k
  f.get(b).v128Load(0).set(b0);
  f.get(b).v128Load(16).set(b1);
  for (let r = 0; r < 4; r++) {
    f.get(a[r]!).load32Splat(0).set(av);
    for (const [x, bv] of [[acc[2 * r]!, b0], [acc[2 * r + 1]!, b1]] as const) {
      if (fma) f.get(av).get(bv).get(x).op(...RELAXED_MADD).set(x);
      else f.get(x).get(av).get(bv).f32x4Mul().f32x4Add().set(x);
    }
  }
  for (let r = 0; r < 4; r++) f.get(a[r]!).get(aStep).add().set(a[r]!);
  f.get(b).get(bStep).add().set(b);
  f.get(p).i32(1).sub().tee(p).brIf(0);
  f.end();
  f.get(s).i32(8).add().tee(s).get(sEnd).ltS().brIf(0);
  f.end();
  f.get(scale).i32(0x3f800000).op(0x47 /* i32.ne */).if();
  f.get(scale).op(0xbe /* f32.reinterpret_i32 */).f32x4Splat().set(av);
  for (const x of acc) f.get(x).get(av).f32x4Mul().set(x);
  f.end();
  for (let r = 0; r < 4; r++) {
    f.get(c).get(acc[2 * r]!).v128Store(0);
    f.get(c).get(acc[2 * r + 1]!).v128Store(16);
    f.get(c).get(ldc).add().set(c);
  }
  f.get(j).i32(1).add().tee(j).get(np).ltS().brIf(0);
  f.end().end();
  f.get(i).i32(1).add().tee(i).get(i1).ltS().brIf(0);
  f.end().end();
  return f;
}

export const PAGE = 65536;
/**
 * Shared memories reserve their maximum up front (virtual only): 4 GiB, wasm32's whole range, as
 * tensors live here too (heap.ts). Byte addresses may then pass 2^31: the modules compare them
 * unsigned, and the TypeScript side shifts them with >>>.
 */
export const MAX_PAGES = 65536;

/**
 * The GEMM module: `gemm` with a multiply then an add, and with `relaxed` also `gemm_fma`, the same
 * kernel on relaxed_madd (a module that needs relaxed SIMD: check with WebAssembly.validate).
 */
export function gemmModuleBytes(shared: boolean, relaxed = false): Uint8Array<ArrayBuffer> {
  const gemmParams = new Array<number>(17).fill(I32);
  return moduleBytes({ initial: 1, maximum: MAX_PAGES, shared }, [
    { name: 'gemm', params: gemmParams, body: gemmBody(false) },
    { name: 'softmax', params: [I32, I32, I32, I32], body: softmaxBody() },
    { name: 'softmax_bwd', params: [I32, I32, I32, I32, I32], body: softmaxBackwardBody() },
    { name: 'copy_rows', params: new Array<number>(6).fill(I32), body: copyRowsBody(false) },
    { name: 'copy_rows_bias', params: new Array<number>(7).fill(I32), body: copyRowsBody(true) },
    { name: 'scatter_rows', params: new Array<number>(7).fill(I32), body: scatterRowsBody() },
    { name: 'zero', params: [I32, I32], body: zeroBody() },
    ...(relaxed ? [{ name: 'gemm_fma', params: gemmParams, body: gemmBody(true) }] : []),
  ]);
}
