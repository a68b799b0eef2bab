// Cache-blocked GEMM in plain TypeScript: B is packed per k-block into 4-column panels (L2-sized),
// A into one 4-row panel at a time (L1), and a 4 x 4 tile of C accumulates in 16 locals that V8
// keeps in registers. Rows [i0, i1) only, so two threads can split one product.
// Float32 only, so V8 sees one array type (a polymorphic copy ran at 60% speed); float64 work
// (gradient checks) takes the exact simple loop in matmul.ts. Self-contained on purpose (no imports, no closures): threads.ts ships its source to a worker.
export function gemmRows(
  A: Float32Array, aOff: number, transA: boolean,
  B: Float32Array, bOff: number, transB: boolean,
  m: number, k: number, n: number,
  C: Float32Array, cOff: number, i0: number, i1: number,
): void {
  const KC = 256;
  const np = (n + 3) >> 2;
  const bp = new Float32Array(Math.min(KC, k) * np * 4);
  const ap = new Float32Array(Math.min(KC, k) * 4);
  // strides of op(A)[i][p] and op(B)[p][j] in the stored arrays
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  for (let i = i0; i < i1; i++) for (let j = 0; j < n; j++) C[cOff + i * n + j] = 0;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let jp = 0; jp < np; jp++) {
      const base = jp * kc * 4;
      for (let q = 0; q < 4; q++) {
        const j = jp * 4 + q;
        if (j >= n) {
          for (let p = 0; p < kc; p++) bp[base + p * 4 + q] = 0;
          continue;
        }
        let s = bOff + (pc * bRow) + j * bCol;
        for (let p = 0; p < kc; p++, s += bRow) bp[base + p * 4 + q] = B[s]!;
      }
    }
    for (let i = i0; i < i1; i += 4) {
      const mr = Math.min(4, i1 - i);
      for (let r = 0; r < 4; r++) {
        if (r >= mr) {
          for (let p = 0; p < kc; p++) ap[p * 4 + r] = 0;
          continue;
        }
        let s = aOff + (i + r) * aRow + pc * aCol;
        for (let p = 0; p < kc; p++, s += aCol) ap[p * 4 + r] = A[s]!;
      }
      for (let jp = 0; jp < np; jp++) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0, pa = 0, pb = jp * kc * 4; p < kc; p++, pa += 4, pb += 4) {
          const a0 = ap[pa]!, a1 = ap[pa + 1]!, a2 = ap[pa + 2]!, a3 = ap[pa + 3]!;
          const b0 = bp[pb]!, b1 = bp[pb + 1]!, b2 = bp[pb + 2]!, b3 = bp[pb + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const j = jp * 4;
        const nr = Math.min(4, n - j);
        let o = cOff + i * n + j;
        if (nr === 4) {
          C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03;
          if (mr > 1) { o += n; C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; }
          if (mr > 2) { o += n; C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; }
          if (mr > 3) { o += n; C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33; }
        } else {
          const t = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
          for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) C[cOff + (i + r) * n + j + q] += t[r * 4 + q]!;
        }
      }
    }
  }
}
