// The convolutions' plane copies (cpu/rows.ts padPlanes, unpadPlanes, transposePlanes) on the copy
// kernels of copy_module.ts, for planes that live in the engine memory: the same arguments in
// float indices, one kernel call per plane. The worker inlines this source and runs them on its
// own instance of the module; the cpu loops stay for operands outside that memory.

/** The copy kernels' exports (copy_module.ts): byte addresses and strides. */
export interface CopyKernels {
  copy_rows(src: number, srcRow: number, dst: number, dstRow: number, rows: number, width: number): void;
  copy_rows_bias(src: number, srcRow: number, dst: number, dstRow: number, rows: number, width: number, bias: number): void;
  scatter_rows(src: number, srcRow: number, dst: number, dstRow: number, rows: number, width: number, dstStep: number): void;
  zero(dst: number, bytes: number): void;
}

/** padPlanes with src in f: planes [q0, q1) at s copied zero-padded to (h + 2 ph) x (w + 2 pw) at dst. */
export function padPlanesWasm(k: CopyKernels, s: number, dst: number, h: number, w: number, ph: number, pw: number, q0: number, q1: number): void {
  const wp = w + 2 * pw;
  const plane = (h + 2 * ph) * wp;
  for (let q = q0; q < q1; q++) {
    const d0 = dst + q * plane;
    k.zero(d0 * 4, plane * 4);
    k.copy_rows((s + q * h * w) * 4, w * 4, (d0 + ph * wp + pw) * 4, wp * 4, h, w);
  }
}

/** unpadPlanes with out in f: a tap convolution's C planes [q0, q1) without their discarded columns, plus the bias (-1: none). */
export function unpadPlanesWasm(k: CopyKernels, c: number, img: number, ldc: number, wp: number, outH: number, outW: number, cout: number, bias: number, o: number, q0: number, q1: number): void {
  for (let q = q0; q < q1; q++) {
    const oc = q % cout;
    const src = (c + ((q - oc) / cout) * img + oc * ldc) * 4;
    const dst = (o + q * outH * outW) * 4;
    if (bias >= 0) k.copy_rows_bias(src, wp * 4, dst, outW * 4, outH, outW, (bias + oc) * 4);
    else k.copy_rows(src, wp * 4, dst, outW * 4, outH, outW);
  }
}

/** transposePlanes with src in f: dy planes [q0, q1) into the 8-column panels of the filter gradient's B. */
export function transposePlanesWasm(k: CopyKernels, s: number, dst: number, img: number, cout: number, outH: number, outW: number, wp: number, q0: number, q1: number): void {
  const L = outH * wp;
  for (let q = q0; q < q1; q++) {
    const oc = q % cout;
    const panel = dst + ((q - oc) / cout) * img + Math.floor(oc / 8) * L * 8 + (oc % 8);
    k.scatter_rows((s + q * outH * outW) * 4, outW * 4, panel * 4, wp * 32, outH, outW, 32);
  }
}
