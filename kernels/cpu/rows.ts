// Memory-bound kernels as plain loops over a range of output rows, for tensors in the SIMD engine's
// shared memory (../simd/heap.ts): the main thread calls them directly, and the engine's worker
// runs the same functions from their source text (../simd/worker_source.ts), so they use nothing
// outside their own arguments. Addresses are float indices into one Float32Array over the whole
// memory; binaryRows also serves the cpu backend's own arrays (binary_f32.ts).

/**
 * Output rows [q0, q1) of `a op b` (0 add, 1 sub, 2 mul, 3 div) over collapsed broadcast runs
 * (cpu/binary_f32.ts's `collapse`): `sizes[0..r)` the runs, `sa`/`sb` each operand's stride per
 * run (0 where broadcast); a row is one innermost run of sizes[r - 1] values. The operands start at
 * A[a], B[b] and O[o] (one array thrice where the worker runs it over the whole memory). The cpu
 * backend's float32 binary ops are this function too, so both give the same bits.
 */
export function binaryRows(op: number, A: Float32Array, a: number, B: Float32Array, b: number, O: Float32Array, o: number, r: number, sizes: ArrayLike<number>, sa: ArrayLike<number>, sb: ArrayLike<number>, q0: number, q1: number): void {
  const n = sizes[r - 1]!;
  const ia = sa[r - 1]!;
  const ib = sb[r - 1]!;
  const idx: number[] = [];
  let pa = startOf(q0, r, sizes, sa, idx);
  let pb = startOf(q0, r, sizes, sb, []);
  for (let q = q0; q < q1; q++) {
    const out = o + q * n;
    const x = a + pa;
    const y = b + pb;
    if (ia !== 0 && ib !== 0) {
      if (op === 0) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! + B[y + i]!;
      else if (op === 1) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! - B[y + i]!;
      else if (op === 2) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! * B[y + i]!;
      else for (let i = 0; i < n; i++) O[out + i] = A[x + i]! / B[y + i]!;
    } else if (ib === 0) {
      const s = B[y]!;
      if (op === 0) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! + s;
      else if (op === 1) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! - s;
      else if (op === 2) for (let i = 0; i < n; i++) O[out + i] = A[x + i]! * s;
      else for (let i = 0; i < n; i++) O[out + i] = A[x + i]! / s;
    } else {
      const s = A[x]!;
      if (op === 0) for (let i = 0; i < n; i++) O[out + i] = s + B[y + i]!;
      else if (op === 1) for (let i = 0; i < n; i++) O[out + i] = s - B[y + i]!;
      else if (op === 2) for (let i = 0; i < n; i++) O[out + i] = s * B[y + i]!;
      else for (let i = 0; i < n; i++) O[out + i] = s / B[y + i]!;
    }
    for (let d = r - 2; d >= 0; d--) {
      pa += sa[d]!;
      pb += sb[d]!;
      if (++idx[d]! < sizes[d]!) break;
      pa -= sa[d]! * sizes[d]!;
      pb -= sb[d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
}

/** The offset of row q0's first value in a collapsed strided view: q0's outer index as mixed-radix digits. */
export function startOf(q0: number, r: number, sizes: ArrayLike<number>, steps: ArrayLike<number>, idx: number[]): number {
  let p = 0;
  let rest = q0;
  for (let d = r - 2; d >= 0; d--) {
    const i = rest % sizes[d]!;
    rest = (rest - i) / sizes[d]!;
    idx[d] = i;
    p += i * steps[d]!;
  }
  return p;
}

/**
 * Rows [q0, q1) of a strided view (cpu/gather.ts's collapsed runs: `sizes`, `steps`, a row one
 * innermost run), copied from x (at `offset` past it) into o, or with `add` 1 added from o back
 * into the view's positions in x (the scatter-add; rows must not overlap there).
 */
export function stridedRows(f: Float32Array, x: number, o: number, r: number, sizes: ArrayLike<number>, steps: ArrayLike<number>, add: number, q0: number, q1: number): void {
  const n = sizes[r - 1]!;
  const step = steps[r - 1]!;
  const idx: number[] = [];
  let p = x + startOf(q0, r, sizes, steps, idx);
  for (let q = q0; q < q1; q++) {
    const out = o + q * n;
    if (add === 0) {
      if (step === 1) for (let i = 0; i < n; i++) f[out + i] = f[p + i]!;
      else for (let i = 0, s = p; i < n; i++, s += step) f[out + i] = f[s]!;
    } else if (step === 1) for (let i = 0; i < n; i++) f[p + i]! += f[out + i]!;
    else for (let i = 0, s = p; i < n; i++, s += step) f[s]! += f[out + i]!;
    for (let d = r - 2; d >= 0; d--) {
      p += steps[d]!;
      if (++idx[d]! < sizes[d]!) break;
      p -= steps[d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * Rows [q0, q1) of a group or layer norm forward, as cpu/norm.ts computes them (sums in float64,
 * mean and rstd stored as float32 and read back): a row is `cols` values, `cols / spatial` channel
 * blocks of `spatial` values, row q's channels start at (q % groups) * cols / spatial; w and b are
 * -1 when absent.
 */
export function normRows(f: Float32Array, x: number, w: number, b: number, y: number, mean: number, rstd: number, cols: number, groups: number, spatial: number, eps: number, q0: number, q1: number): void {
  const cpg = cols / spatial;
  for (let row = q0; row < q1; row++) {
    const o = row * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += f[x + o + j]!;
    f[mean + row] = s / cols;
    const mu = f[mean + row]!;
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      const d = f[x + o + j]! - mu;
      sq += d * d;
    }
    f[rstd + row] = 1 / Math.sqrt(sq / cols + eps);
    const rs = f[rstd + row]!;
    if (w < 0 && b < 0) {
      for (let j = 0; j < cols; j++) f[y + o + j] = (f[x + o + j]! - mu) * rs;
      continue;
    }
    const ch0 = (row % groups) * cpg;
    if (spatial === 1) {
      for (let j = 0; j < cols; j++) f[y + o + j] = (f[x + o + j]! - mu) * rs * (w >= 0 ? f[w + ch0 + j]! : 1) + (b >= 0 ? f[b + ch0 + j]! : 0);
      continue;
    }
    for (let q = 0; q < cpg; q++) {
      const scale = rs * (w >= 0 ? f[w + ch0 + q]! : 1);
      const shift = b >= 0 ? f[b + ch0 + q]! : 0;
      const p = o + q * spatial;
      for (let j = 0; j < spatial; j++) f[y + p + j] = (f[x + p + j]! - mu) * scale + shift;
    }
  }
}

/**
 * Rows [q0, q1) of a group norm backward (spatial > 1), as cpu/norm.ts: dx of each row, and each
 * (row, channel)'s sum of dy xhat and of dy into d[parts + 2 (row cpg + q)] and the next slot, for
 * the caller to add into dweight and dbias in row order (cpu/norm.ts's order: the same bits).
 */
export function groupNormBackwardRows(f: Float32Array, d: Float64Array, dy: number, x: number, mean: number, rstd: number, w: number, dx: number, parts: number, cols: number, groups: number, spatial: number, q0: number, q1: number): void {
  const cpg = cols / spatial;
  for (let row = q0; row < q1; row++) {
    const o = row * cols;
    const mu = f[mean + row]!;
    const rs = f[rstd + row]!;
    const ch0 = (row % groups) * cpg;
    let s1 = 0;
    let s2 = 0;
    for (let q = 0; q < cpg; q++) {
      const wc = w >= 0 ? f[w + ch0 + q]! : 1;
      const p = o + q * spatial;
      let gsum = 0;
      let gx = 0;
      for (let j = 0; j < spatial; j++) {
        const g = f[dy + p + j]!;
        gsum += g;
        gx += g * (f[x + p + j]! - mu);
      }
      gx *= rs;
      d[parts + 2 * (row * cpg + q)] = gx;
      d[parts + 2 * (row * cpg + q) + 1] = gsum;
      s1 += wc * gsum;
      s2 += wc * gx;
    }
    const m1 = s1 / cols;
    const m2 = s2 / cols;
    for (let q = 0; q < cpg; q++) {
      const wc = w >= 0 ? f[w + ch0 + q]! : 1;
      const p = o + q * spatial;
      for (let j = 0; j < spatial; j++) {
        const xh = (f[x + p + j]! - mu) * rs;
        f[dx + p + j] = rs * (f[dy + p + j]! * wc - m1 - xh * m2);
      }
    }
  }
}

/**
 * Planes [q0, q1) of images copied into zero-padded planes of (h + 2 ph) x (w + 2 pw) at float
 * `dst` of f: plane q reads src[s + q h w ..] (src is f itself when the images live there).
 */
export function padPlanes(src: Float32Array, s: number, f: Float32Array, dst: number, h: number, w: number, ph: number, pw: number, q0: number, q1: number): void {
  const wp = w + 2 * pw;
  const plane = (h + 2 * ph) * wp;
  for (let q = q0; q < q1; q++) {
    const d0 = dst + q * plane;
    f.fill(0, d0, d0 + plane);
    const s0 = s + q * h * w;
    for (let y = 0; y < h; y++) {
      const a = s0 + y * w;
      const d = d0 + (ph + y) * wp + pw;
      for (let x = 0; x < w; x++) f[d + x] = src[a + x]!;
    }
  }
}

/**
 * Planes [q0, q1) (q = image * cout + channel) of a tap convolution's C, whose rows are `ldc` apart
 * and `wp` wide, copied out without their discarded columns into out[o + q outH outW ..], plus the
 * channel's bias (f[bias + channel]; -1 for none). `img` is the floats of one image's C.
 */
export function unpadPlanes(f: Float32Array, c: number, img: number, ldc: number, wp: number, outH: number, outW: number, cout: number, bias: number, out: Float32Array, o: number, q0: number, q1: number): void {
  for (let q = q0; q < q1; q++) {
    const oc = q % cout;
    const src = c + ((q - oc) / cout) * img + oc * ldc;
    const dst = o + q * outH * outW;
    const bv = bias >= 0 ? f[bias + oc]! : 0;
    for (let oy = 0; oy < outH; oy++) {
      const s = src + oy * wp;
      const d = dst + oy * outW;
      if (bias >= 0) for (let ox = 0; ox < outW; ox++) out[d + ox] = f[s + ox]! + bv;
      else for (let ox = 0; ox < outW; ox++) out[d + ox] = f[s + ox]!;
    }
  }
}

/**
 * Planes [q0, q1) (q = image * cout + channel) of dy written transposed into 8-column panels over
 * the padded-width positions (the filter gradient's B): image b's panels start at dst + b img, a
 * panel holds L = outH wp positions of 8 channels. The discarded columns stay as they are (zeros).
 */
export function transposePlanes(src: Float32Array, s: number, f: Float32Array, dst: number, img: number, cout: number, outH: number, outW: number, wp: number, q0: number, q1: number): void {
  const L = outH * wp;
  for (let q = q0; q < q1; q++) {
    const oc = q % cout;
    const panel = dst + ((q - oc) / cout) * img + Math.floor(oc / 8) * L * 8 + (oc % 8);
    const s0 = s + q * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      let d = panel + oy * wp * 8;
      const a = s0 + oy * outW;
      for (let ox = 0; ox < outW; ox++, d += 8) f[d] = src[a + ox]!;
    }
  }
}

/**
 * Part of a sum over axes, as cpu/reduce.ts computes it: the input (contiguous at x) as `k`
 * collapsed runs, `red[d]` 1 where run d is summed, `outStride` the output stride of kept runs;
 * this part covers indices [b0 grain, b1 grain) of the kept run `ds` and adds into the float64 sums at
 * acc[s ..]. Every output's values are added in the order the cpu loop adds them (the same bits).
 */
export function sumRows(f: Float32Array, acc: Float64Array, x: number, s: number, k: number, sizes: ArrayLike<number>, red: ArrayLike<number>, outStride: ArrayLike<number>, ds: number, grain: number, b0: number, b1: number): void {
  // blocks [b0, b1) of `grain` indices each, so that a contiguous kept run is not cut into slivers
  const i0 = b0 * grain;
  const i1 = Math.min(sizes[ds]!, b1 * grain);
  const inStride: number[] = [];
  for (let d = k - 1, st = 1; d >= 0; d--) {
    inStride[d] = st;
    st *= sizes[d]!;
  }
  const lo: number[] = [];
  const span: number[] = [];
  let p = x;
  let q = s;
  for (let d = 0; d < k; d++) {
    lo[d] = d === ds ? i0 : 0;
    span[d] = d === ds ? i1 - i0 : sizes[d]!;
    p += lo[d]! * inStride[d]!;
    q += lo[d]! * outStride[d]!;
  }
  const last = k - 1;
  const n = span[last]!;
  const idx = lo.slice(0, last);
  for (;;) {
    if (red[last] === 1) {
      let a = acc[q]!;
      for (let i = 0; i < n; i++) a += f[p + i]!;
      acc[q] = a;
    } else for (let i = 0; i < n; i++) acc[q + i]! += f[p + i]!;
    let d = last - 1;
    for (; d >= 0; d--) {
      p += inStride[d]!;
      q += outStride[d]!;
      if (++idx[d]! < lo[d]! + span[d]!) break;
      p -= inStride[d]! * span[d]!;
      q -= outStride[d]! * span[d]!;
      idx[d] = lo[d]!;
    }
    if (d < 0) return;
  }
}

/** Rows [q0, q1) of a layer norm backward's dx (w -1 when absent), as cpu/norm.ts computes them. */
export function layerNormBackwardRows(f: Float32Array, dy: number, x: number, mean: number, rstd: number, w: number, dx: number, cols: number, q0: number, q1: number): void {
  for (let row = q0; row < q1; row++) {
    const o = row * cols;
    const mu = f[mean + row]!;
    const rs = f[rstd + row]!;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < cols; j++) {
      const g = f[dy + o + j]!;
      const gx = g * (f[x + o + j]! - mu) * rs;
      const wc = w >= 0 ? f[w + j]! : 1;
      s1 += wc * g;
      s2 += wc * gx;
    }
    const m1 = s1 / cols;
    const m2 = s2 / cols;
    for (let j = 0; j < cols; j++) f[dx + o + j] = rs * (f[dy + o + j]! * (w >= 0 ? f[w + j]! : 1) - m1 - (f[x + o + j]! - mu) * rs * m2);
  }
}

/**
 * Columns [j0, j1) of a layer norm backward's dweight and dbias as float64 sums at acc[s + 2 j] and
 * acc[s + 2 j + 1], over the rows in order (cpu/norm.ts's order: the same bits).
 */
export function layerNormParamColumns(f: Float32Array, acc: Float64Array, dy: number, x: number, mean: number, rstd: number, s: number, rows: number, cols: number, j0: number, j1: number): void {
  for (let row = 0; row < rows; row++) {
    const o = row * cols;
    const mu = f[mean + row]!;
    const rs = f[rstd + row]!;
    for (let j = j0; j < j1; j++) {
      const g = f[dy + o + j]!;
      acc[s + 2 * j]! += g * (f[x + o + j]! - mu) * rs;
      acc[s + 2 * j + 1]! += g;
    }
  }
}

/**
 * Values [i0, i1) of an AdamW update (PyTorch's, decoupled weight decay): the moments m and v move
 * in place and the new parameter goes to O[o ..] (arrays and offsets as binaryRows; float32 or
 * float64 alike). `stepSize` is lr / (1 - b1^t), `decay` 1 - lr wd, `bc2` sqrt(1 - b2^t).
 */
export function adamwRows(X: Float32Array | Float64Array, x: number, G: Float32Array | Float64Array, g: number, M: Float32Array | Float64Array, m: number, V: Float32Array | Float64Array, v: number, O: Float32Array | Float64Array, o: number, b1: number, b2: number, stepSize: number, decay: number, bc2: number, eps: number, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const gi = G[g + i]!;
    M[m + i] = b1 * M[m + i]! + (1 - b1) * gi;
    V[v + i] = b2 * V[v + i]! + (1 - b2) * gi * gi;
    // read the stored (rounded) moments back, as PyTorch's next ops would see them
    O[o + i] = X[x + i]! * decay - stepSize * (M[m + i]! / (Math.sqrt(V[v + i]!) / bc2 + eps));
  }
}
