// Reference batched matmul. Operands are first brought to row-major (m,k) and (k,n) so that the
// inner i-k-j loop streams both B's rows and C's rows.
import type { MatmulArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';

function transposeInto(src: TypedArray, off: number, rows: number, cols: number, dst: TypedArray): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[off + r * cols + c]!;
}

export function matmul(a: TypedArray, b: TypedArray, args: MatmulArgs, dtype: DType): TypedArray {
  const { batch, m, k, n, transA, transB, strideA, strideB } = args;
  const out = allocArray(dtype, batch * m * n);
  const aBuf = transA ? allocArray(dtype, m * k) : undefined;
  const bBuf = transB ? allocArray(dtype, k * n) : undefined;
  for (let p = 0; p < batch; p++) {
    let A = a;
    let offA = p * strideA;
    if (aBuf) {
      transposeInto(a, offA, k, m, aBuf);
      A = aBuf;
      offA = 0;
    }
    let B = b;
    let offB = p * strideB;
    if (bBuf) {
      transposeInto(b, offB, n, k, bBuf);
      B = bBuf;
      offB = 0;
    }
    const offC = p * m * n;
    for (let i = 0; i < m; i++) {
      const cRow = offC + i * n;
      for (let kk = 0; kk < k; kk++) {
        const av = A[offA + i * k + kk]!;
        if (av === 0) continue;
        const bRow = offB + kk * n;
        for (let j = 0; j < n; j++) out[cRow + j]! += av * B[bRow + j]!;
      }
    }
  }
  return out;
}
