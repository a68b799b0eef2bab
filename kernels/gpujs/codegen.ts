// Kernel sources for gpu.js, generated per shape with every dimension baked in as a literal, so
// loops have constant bounds (GLSL needs them) and index math folds. One flat output index
// (`this.thread.x`) is decomposed with float arithmetic: `floor((r + 0.5) / d)` stays exact for
// indices below 2^22, which the backend enforces (bigger work goes to cpu).
import type { BinaryOp, Conv2dArgs, MatmulArgs, UnaryOp } from '../backend.js';
import { numel, stridesOf } from '../shape.js';

/** Largest flat index the float index math is exact for (see above). */
export const MAX_INDEX = 1 << 22;

export interface KernelSource {
  /** cache key; the source itself */
  source: string;
  /** flat output length */
  size: number;
}

/** A float literal gpu.js types as Float (never as an integer literal). */
export function f(v: number): string {
  if (Number.isNaN(v)) return '(0.0 / 0.0)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0 / 0.0)' : '(-1.0 / 0.0)';
  const s = String(v);
  return /[.eE]/.test(s) ? (s.includes('e') && !s.includes('.') ? s.replace('e', '.0e') : s) : `${s}.0`;
}

const dropOnes = (shape: readonly number[], strides: readonly number[]): [number[], number[]] => {
  const sh: number[] = [];
  const st: number[] = [];
  shape.forEach((d, i) => {
    if (d !== 1) {
      sh.push(d);
      st.push(strides[i]!);
    }
  });
  return [sh, st];
};

/**
 * Lines computing `name` = base + sum_d coord_d(idx) * strides[d] for a row-major walk of `shape`
 * indexed by the float expression `idx`. Contiguous strides collapse to `base + idx`.
 */
export function offsetCode(name: string, idx: string, shape: readonly number[], strides: readonly number[], base: number): string {
  const [sh, st] = dropOnes(shape, strides);
  const cont = stridesOf(sh);
  if (sh.length === 0) return `const ${name} = ${f(base)};\n`;
  if (st.every((s, i) => s === cont[i])) return `const ${name} = ${idx} + ${f(base)};\n`;
  const r = `${name}_r`;
  let code = `let ${r} = ${idx};\nlet ${name} = ${f(base)};\n`;
  for (let d = sh.length - 1; d >= 0; d--) {
    if (d === 0) {
      code += `${name} = ${name} + ${r} * ${f(st[d]!)};\n`;
    } else {
      const q = `${name}_q${d}`;
      code += `const ${q} = Math.floor((${r} + 0.5) / ${f(sh[d]!)});\n`;
      if (st[d] !== 0) code += `${name} = ${name} + (${r} - ${q} * ${f(sh[d]!)}) * ${f(st[d]!)};\n`;
      code += `${r} = ${q};\n`;
    }
  }
  return code;
}

export interface ElementInput {
  strides: readonly number[];
  offset: number;
}

/**
 * out[i] = body(v0, v1, ...) where v_j = in_j[offset_j + coords(i) . strides_j] over `outShape`;
 * `body` is statements that assign `r`, and may read the scalar arguments named in `scalars`.
 */
export function elementwise(outShape: readonly number[], inputs: readonly ElementInput[], body: string, scalars: readonly string[] = []): KernelSource {
  const params = [...inputs.map((_, j) => `in${j}`), ...scalars];
  let code = `function (${params.join(', ')}) {\nconst i = this.thread.x;\n`;
  inputs.forEach((inp, j) => {
    code += offsetCode(`o${j}`, 'i', outShape, inp.strides, inp.offset);
    code += `const v${j} = in${j}[o${j}];\n`;
  });
  code += `let r = 0.0;\n${body}\nreturn r;\n}`;
  return { source: code, size: numel(outShape) };
}

// Elementwise math in the gpu.js kernel language, GLSL-safe: no tanh/erf builtins (WebGL 1 lacks
// them), sigmoid and tanh written to stay finite for any input.
const SIGMOID = (x: string, s: string): string => `const ${s}_e = Math.exp(-Math.abs(${x}));\nlet ${s} = 1.0 / (1.0 + ${s}_e);\nif (${x} < 0.0) { ${s} = ${s}_e / (1.0 + ${s}_e); }\n`;
const TANH = (x: string, t: string): string => `const ${t}_e = Math.exp(-2.0 * Math.abs(${x}));\nlet ${t} = (1.0 - ${t}_e) / (1.0 + ${t}_e);\nif (${x} < 0.0) { ${t} = -${t}; }\n`;
// Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution near 1
const ERF = (x: string, e: string): string =>
  `const ${e}_z = Math.abs(${x});\nconst ${e}_t = 1.0 / (1.0 + 0.3275911 * ${e}_z);\n` +
  `let ${e} = 1.0 - (((((1.061405429 * ${e}_t - 1.453152027) * ${e}_t) + 1.421413741) * ${e}_t - 0.284496736) * ${e}_t + 0.254829592) * ${e}_t * Math.exp(-${e}_z * ${e}_z);\n` +
  `if (${x} < 0.0) { ${e} = -${e}; }\n`;
const SQRT_2_OVER_PI = f(Math.sqrt(2 / Math.PI));
const INV_SQRT_2 = f(1 / Math.SQRT2);
const INV_SQRT_2PI = f(1 / Math.sqrt(2 * Math.PI));

/** Statements setting `r` = op(x). */
export function unaryBody(op: UnaryOp, x: string): string {
  switch (op) {
    case 'neg': return `r = -${x};`;
    case 'exp': return `r = Math.exp(${x});`;
    case 'log': return `r = Math.log(${x});`;
    case 'sqrt': return `r = Math.sqrt(${x});`;
    case 'abs': return `r = Math.abs(${x});`;
    case 'sigmoid': return `${SIGMOID(x, 's')}r = s;`;
    case 'tanh': return `${TANH(x, 't')}r = t;`;
    case 'silu': return `${SIGMOID(x, 's')}r = ${x} * s;`;
    case 'gelu': return `const ge_x = ${x} * ${INV_SQRT_2};\n${ERF('ge_x', 'e')}r = 0.5 * ${x} * (1.0 + e);`;
    case 'gelu_tanh': return `const u = ${SQRT_2_OVER_PI} * (${x} + 0.044715 * ${x} * ${x} * ${x});\n${TANH('u', 't')}r = 0.5 * ${x} * (1.0 + t);`;
    case 'quick_gelu': return `const qx = 1.702 * ${x};\n${SIGMOID('qx', 's')}r = ${x} * s;`;
    case 'relu': return `if (${x} > 0.0) { r = ${x}; }`;
    case 'square': return `r = ${x} * ${x};`;
    case 'reciprocal': return `r = 1.0 / ${x};`;
    case 'sin': return `r = Math.sin(${x});`;
    case 'cos': return `r = Math.cos(${x});`;
  }
}

/** Statements setting `r` = g * op'(x). */
export function unaryGradBody(op: UnaryOp, x: string, g: string): string {
  switch (op) {
    case 'neg': return `r = -${g};`;
    case 'exp': return `r = ${g} * Math.exp(${x});`;
    case 'log': return `r = ${g} / ${x};`;
    case 'sqrt': return `r = ${g} * 0.5 / Math.sqrt(${x});`;
    case 'abs': return `if (${x} > 0.0) { r = ${g}; }\nif (${x} < 0.0) { r = -${g}; }`;
    case 'sigmoid': return `${SIGMOID(x, 's')}r = ${g} * s * (1.0 - s);`;
    case 'tanh': return `${TANH(x, 't')}r = ${g} * (1.0 - t * t);`;
    case 'silu': return `${SIGMOID(x, 's')}r = ${g} * s * (1.0 + ${x} * (1.0 - s));`;
    case 'gelu':
      return `const ge_x = ${x} * ${INV_SQRT_2};\n${ERF('ge_x', 'e')}r = ${g} * (0.5 * (1.0 + e) + ${x} * ${INV_SQRT_2PI} * Math.exp(-0.5 * ${x} * ${x}));`;
    case 'gelu_tanh':
      return `const u = ${SQRT_2_OVER_PI} * (${x} + 0.044715 * ${x} * ${x} * ${x});\n${TANH('u', 't')}` +
        `const du = ${SQRT_2_OVER_PI} * (1.0 + 3.0 * 0.044715 * ${x} * ${x});\nr = ${g} * (0.5 * (1.0 + t) + 0.5 * ${x} * (1.0 - t * t) * du);`;
    case 'quick_gelu': return `const qx = 1.702 * ${x};\n${SIGMOID('qx', 's')}r = ${g} * (s + 1.702 * ${x} * s * (1.0 - s));`;
    case 'relu': return `if (${x} > 0.0) { r = ${g}; }`;
    case 'square': return `r = 2.0 * ${x} * ${g};`;
    case 'reciprocal': return `r = -${g} / (${x} * ${x});`;
    case 'sin': return `r = ${g} * Math.cos(${x});`;
    case 'cos': return `r = -${g} * Math.sin(${x});`;
  }
}

/** x ** p with JS semantics for integer p on negative bases (GLSL pow is undefined there). */
export function powBody(x: string, p: string): string {
  return `if (${p} == 0.0) { r = 1.0; } else if (${p} == 2.0) { r = ${x} * ${x}; } else if (${p} == 1.0) { r = ${x}; } else if (Math.floor(${p}) == ${p}) {\n` +
    `r = Math.pow(Math.abs(${x}), ${p});\n` +
    `if (${x} < 0.0 && Math.abs(${p} - 2.0 * Math.floor(${p} * 0.5)) > 0.5) { r = -r; }\n` +
    `} else { r = Math.pow(${x}, ${p}); }`;
}

export function binaryBody(op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case 'add': return `r = ${a} + ${b};`;
    case 'sub': return `r = ${a} - ${b};`;
    case 'mul': return `r = ${a} * ${b};`;
    case 'div': return `r = ${a} / ${b};`;
    case 'maximum': return `r = ${b};\nif (${a} >= ${b}) { r = ${a}; }`;
    case 'minimum': return `r = ${b};\nif (${a} <= ${b}) { r = ${a}; }`;
    case 'eq': return `if (${a} == ${b}) { r = 1.0; }`;
    case 'gt': return `if (${a} > ${b}) { r = 1.0; }`;
    case 'lt': return `if (${a} < ${b}) { r = 1.0; }`;
  }
}

/**
 * out[o] = reduce over r < redSize of map(x[kept(o) + red(r)]), kept/red from the shape's strides.
 * `init` starts the accumulator; `step` is statements folding `v` into `acc`.
 */
export function reduceSource(shape: readonly number[], axes: readonly number[], op: 'sum' | 'max' | 'min'): KernelSource {
  const strides = stridesOf(shape);
  const keptAxes = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const redAxes = shape.map((_, d) => d).filter((d) => axes.includes(d));
  const keptShape = keptAxes.map((d) => shape[d]!);
  const redShape = redAxes.map((d) => shape[d]!);
  const redSize = numel(redShape);
  let code = `function (x) {\nconst i = this.thread.x;\n`;
  code += offsetCode('base', 'i', keptShape, keptAxes.map((d) => strides[d]!), 0);
  code += `let acc = x[base];\n`;
  code += `for (let j = 1; j < ${redSize}; j++) {\n`;
  code += offsetCode('o', 'j', redShape, redAxes.map((d) => strides[d]!), 0);
  code += `const v = x[base + o];\n`;
  code += op === 'sum' ? 'acc = acc + v;\n' : op === 'max' ? 'if (v > acc) { acc = v; }\n' : 'if (v < acc) { acc = v; }\n';
  code += `}\nreturn acc;\n}`;
  return { source: code, size: numel(keptShape) };
}

/** Row statistics over a (rows, cols) matrix: max, sum(exp(x - m[row])), or dot(a, b). */
export function rowSource(kind: 'max' | 'sumexp' | 'dot', rows: number, cols: number): KernelSource {
  const params = kind === 'max' ? 'x' : kind === 'sumexp' ? 'x, m' : 'a, b';
  let code = `function (${params}) {\nconst base = this.thread.x * ${f(cols)};\n`;
  if (kind === 'max') code += `let acc = x[base];\nfor (let j = 1; j < ${cols}; j++) { const v = x[base + j]; if (v > acc) { acc = v; } }\n`;
  else if (kind === 'sumexp') code += `const mx = m[this.thread.x];\nlet acc = 0.0;\nfor (let j = 0; j < ${cols}; j++) { acc = acc + Math.exp(x[base + j] - mx); }\n`;
  else code += `let acc = 0.0;\nfor (let j = 0; j < ${cols}; j++) { acc = acc + a[base + j] * b[base + j]; }\n`;
  code += `return acc;\n}`;
  return { source: code, size: rows };
}

/** C[t, i, j] = sum_p op(A)[t, i, p] op(B)[t, p, j], one output element per thread. */
export function matmulSource(a: MatmulArgs): KernelSource {
  const { batch, m, k, n, transA, transB, strideA, strideB } = a;
  let code = `function (A, B) {\nconst i = this.thread.x;\n`;
  code += `const t = Math.floor((i + 0.5) / ${f(m * n)});\nconst rem = i - t * ${f(m * n)};\n`;
  code += `const row = Math.floor((rem + 0.5) / ${f(n)});\nconst col = rem - row * ${f(n)};\n`;
  code += `const aBase = t * ${f(strideA)} + row * ${f(transA ? 1 : k)};\nconst bBase = t * ${f(strideB)} + col * ${f(transB ? k : 1)};\n`;
  code += `let acc = 0.0;\nfor (let p = 0; p < ${k}; p++) {\n`;
  code += `acc = acc + A[aBase + p * ${f(transA ? m : 1)}] * B[bBase + p * ${f(transB ? 1 : n)}];\n}\nreturn acc;\n}`;
  return { source: code, size: batch * m * n };
}

const decompose4 = (idx: string, dims: [number, number, number, number], names: [string, string, string, string]): string => {
  const [, d1, d2, d3] = dims;
  const [a, b, c, d] = names;
  return `const ${a} = Math.floor((${idx} + 0.5) / ${f(d1 * d2 * d3)});\n` +
    `const ${a}_r = ${idx} - ${a} * ${f(d1 * d2 * d3)};\n` +
    `const ${b} = Math.floor((${a}_r + 0.5) / ${f(d2 * d3)});\n` +
    `const ${b}_r = ${a}_r - ${b} * ${f(d2 * d3)};\n` +
    `const ${c} = Math.floor((${b}_r + 0.5) / ${f(d3)});\n` +
    `const ${d} = ${b}_r - ${c} * ${f(d3)};\n`;
};

/** Direct convolution: y[b, o, oy, ox] = sum_{c, ki, kj} x[b, c, iy, ix] w[o, c, ki, kj]. */
export function conv2dSource(a: Conv2dArgs): KernelSource {
  const { n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
  let code = `function (X, W) {\n${decompose4('this.thread.x', [n, o, outH, outW], ['b', 'oc', 'oy', 'ox'])}`;
  code += `let acc = 0.0;\nfor (let ci = 0; ci < ${c}; ci++) {\nfor (let ki = 0; ki < ${kh}; ki++) {\n`;
  code += `const iy = oy * ${f(strideH)} - ${f(padH)} + ki;\nif (iy >= 0.0 && iy < ${f(h)}) {\n`;
  code += `for (let kj = 0; kj < ${kw}; kj++) {\nconst ix = ox * ${f(strideW)} - ${f(padW)} + kj;\nif (ix >= 0.0 && ix < ${f(w)}) {\n`;
  code += `acc = acc + X[((b * ${f(c)} + ci) * ${f(h)} + iy) * ${f(w)} + ix] * W[((oc * ${f(c)} + ci) * ${f(kh)} + ki) * ${f(kw)} + kj];\n`;
  code += `}\n}\n}\n}\n}\nreturn acc;\n}`;
  return { source: code, size: n * o * outH * outW };
}

/** dx[b, ci, y, x] = sum over (o, ki, kj) whose window covers (y, x) of dy[b, o, oy, ox] w[o, ci, ki, kj]. */
export function conv2dBackwardInputSource(a: Conv2dArgs): KernelSource {
  const { n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
  let code = `function (DY, W) {\n${decompose4('this.thread.x', [n, c, h, w], ['b', 'ci', 'y', 'x'])}`;
  code += `let acc = 0.0;\nfor (let ki = 0; ki < ${kh}; ki++) {\nconst ty = y + ${f(padH)} - ki;\nconst oy = Math.floor((ty + 0.5) / ${f(strideH)});\n`;
  code += `if (ty >= 0.0 && oy * ${f(strideH)} == ty && oy < ${f(outH)}) {\n`;
  code += `for (let kj = 0; kj < ${kw}; kj++) {\nconst tx = x + ${f(padW)} - kj;\nconst ox = Math.floor((tx + 0.5) / ${f(strideW)});\n`;
  code += `if (tx >= 0.0 && ox * ${f(strideW)} == tx && ox < ${f(outW)}) {\n`;
  code += `for (let oc = 0; oc < ${o}; oc++) {\n`;
  code += `acc = acc + DY[((b * ${f(o)} + oc) * ${f(outH)} + oy) * ${f(outW)} + ox] * W[((oc * ${f(c)} + ci) * ${f(kh)} + ki) * ${f(kw)} + kj];\n`;
  code += `}\n}\n}\n}\n}\nreturn acc;\n}`;
  return { source: code, size: n * c * h * w };
}

/** dw[o, ci, ki, kj] = sum_{b, oy, ox} dy[b, o, oy, ox] x[b, ci, iy, ix]. */
export function conv2dBackwardFilterSource(a: Conv2dArgs): KernelSource {
  const { n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
  let code = `function (X, DY) {\n${decompose4('this.thread.x', [o, c, kh, kw], ['oc', 'ci', 'ki', 'kj'])}`;
  code += `let acc = 0.0;\nfor (let b = 0; b < ${n}; b++) {\nfor (let oy = 0; oy < ${outH}; oy++) {\n`;
  code += `const iy = oy * ${f(strideH)} - ${f(padH)} + ki;\nif (iy >= 0.0 && iy < ${f(h)}) {\n`;
  code += `for (let ox = 0; ox < ${outW}; ox++) {\nconst ix = ox * ${f(strideW)} - ${f(padW)} + kj;\nif (ix >= 0.0 && ix < ${f(w)}) {\n`;
  code += `acc = acc + DY[((b * ${f(o)} + oc) * ${f(outH)} + oy) * ${f(outW)} + ox] * X[((b * ${f(c)} + ci) * ${f(h)} + iy) * ${f(w)} + ix];\n`;
  code += `}\n}\n}\n}\n}\nreturn acc;\n}`;
  return { source: code, size: o * c * kh * kw };
}

/** out[(o, j, i)] = x[(o * dimSize + idx[j]) * inner + i] over (outer, m, inner). */
export function indexSelectSource(outer: number, dimSize: number, inner: number, m: number): KernelSource {
  let code = `function (X, IDX) {\nconst i = this.thread.x;\n`;
  code += `const ot = Math.floor((i + 0.5) / ${f(m * inner)});\nconst rem = i - ot * ${f(m * inner)};\n`;
  code += `const j = Math.floor((rem + 0.5) / ${f(inner)});\nconst ii = rem - j * ${f(inner)};\n`;
  code += `return X[(ot * ${f(dimSize)} + IDX[j]) * ${f(inner)} + ii];\n}`;
  return { source: code, size: outer * m * inner };
}

export function takeSource(size: number): KernelSource {
  return { source: `function (X, IDX) {\nreturn X[IDX[this.thread.x]];\n}`, size };
}

export function identitySource(size: number): KernelSource {
  return { source: `function (X) {\nreturn X[this.thread.x];\n}`, size };
}
