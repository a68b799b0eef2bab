// Resampling. Images: a separable filter per axis, area (box) averaging when shrinking, bilinear
// with half-pixel centres (PyTorch's align_corners=False) when enlarging. Area rather than plain
// bilinear because the usual step here is a large shrink (512 -> 32), where bilinear would sample
// 4 of every 256 pixels and alias; area averages them all, weighting each input pixel by its
// overlap (OpenCV's INTER_AREA; at integer ratios the same as PIL's BOX filter and
// F.interpolate(mode='area')). Masks: nearest, with PyTorch's index rule, so a
// mask resized here matches F.interpolate(mask, size, mode='nearest'): the index rule is core's
// (`nearestIndices`, the one interpolate uses).
import { nearestIndices } from '../../core/index.js';

/** Planar float image: `channels` planes of height x width, row-major. */
export interface FloatPlanes {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Nearest-resizes one 8-bit channel (stride `stride`, offset `channel`) to out x out-height. */
export function resizeNearestChannel(
  src: Uint8Array, width: number, height: number, stride: number, channel: number, outW: number, outH: number,
): Uint8Array {
  const out = new Uint8Array(outW * outH);
  const xs = nearestIndices(width, outW);
  const ys = nearestIndices(height, outH);
  for (let y = 0; y < outH; y++) {
    const row = ys[y]! * width;
    for (let x = 0; x < outW; x++) out[y * outW + x] = src[(row + xs[x]!) * stride + channel]!;
  }
  return out;
}

/** Sparse weights of one axis: output i reads taps[start[i] .. start[i+1]) of (index, weight). */
interface AxisWeights {
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(outSize + 1);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    start[o] = idx.length;
    if (outSize < inSize) {
      // area: the input interval [o*scale, (o+1)*scale), each pixel weighted by its overlap
      const lo = o * scale;
      const hi = (o + 1) * scale;
      for (let i = Math.floor(lo); i < Math.min(Math.ceil(hi), inSize); i++) {
        const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
        if (overlap > 0) {
          idx.push(i);
          w.push(overlap / scale);
        }
      }
    } else if (outSize === inSize) {
      idx.push(o);
      w.push(1);
    } else {
      // bilinear, align_corners=False: negative source coordinates clamp to 0 as in ATen
      const srcPos = Math.max((o + 0.5) * scale - 0.5, 0);
      const i0 = Math.min(Math.floor(srcPos), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const t = srcPos - i0;
      idx.push(i0);
      w.push(1 - t);
      if (t > 0) {
        idx.push(i1);
        w.push(t);
      }
    }
  }
  start[outSize] = idx.length;
  return { start, index: Int32Array.from(idx), weight: Float64Array.from(w) };
}

/** Resizes float planes (area when shrinking an axis, bilinear when enlarging it). */
export function resizePlanes(src: FloatPlanes, outW: number, outH: number): FloatPlanes {
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
    throw new Error(`resize: bad output size ${outW}x${outH}`);
  }
  const { width: w, height: h, channels: c } = src;
  const wx = axisWeights(w, outW);
  const wy = axisWeights(h, outH);
  const tmp = new Float64Array(c * h * outW); // horizontal pass first
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const row = (ch * h + y) * w;
      const orow = (ch * h + y) * outW;
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        for (let k = wx.start[x]!; k < wx.start[x + 1]!; k++) acc += src.data[row + wx.index[k]!]! * wx.weight[k]!;
        tmp[orow + x] = acc;
      }
    }
  }
  const out = new Float32Array(c * outH * outW);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < outH; y++) {
      const orow = (ch * outH + y) * outW;
      for (let k = wy.start[y]!; k < wy.start[y + 1]!; k++) {
        const irow = (ch * h + wy.index[k]!) * outW;
        const wk = wy.weight[k]!;
        for (let x = 0; x < outW; x++) out[orow + x] += tmp[irow + x]! * wk;
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/** The first `channels` channels of interleaved 8-bit pixels as float planes (values 0..255). */
export function toPlanes(pixels: Uint8Array, width: number, height: number, stride: number, channels: number): FloatPlanes {
  const n = width * height;
  const data = new Float32Array(channels * n);
  for (let ch = 0; ch < channels; ch++) for (let i = 0; i < n; i++) data[ch * n + i] = pixels[i * stride + ch]!;
  return { width, height, channels, data };
}

/** Resizes an RGBA image with the image filter (area / bilinear), rounding back to 8 bits. */
export function resizeImage(img: { width: number; height: number; rgba: Uint8Array }, outW: number, outH: number): { width: number; height: number; rgba: Uint8Array } {
  const planes = resizePlanes(toPlanes(img.rgba, img.width, img.height, 4, 4), outW, outH);
  const n = outW * outH;
  const rgba = new Uint8Array(n * 4);
  for (let ch = 0; ch < 4; ch++) {
    for (let i = 0; i < n; i++) rgba[i * 4 + ch] = Math.min(255, Math.max(0, Math.round(planes.data[ch * n + i]!)));
  }
  return { width: outW, height: outH, rgba };
}

/** Resizes an RGBA image with nearest sampling (for masks: values stay exactly as they were). */
export function resizeNearest(img: { width: number; height: number; rgba: Uint8Array }, outW: number, outH: number): { width: number; height: number; rgba: Uint8Array } {
  const rgba = new Uint8Array(outW * outH * 4);
  for (let ch = 0; ch < 4; ch++) {
    const plane = resizeNearestChannel(img.rgba, img.width, img.height, 4, ch, outW, outH);
    for (let i = 0; i < plane.length; i++) rgba[i * 4 + ch] = plane[i]!;
  }
  return { width: outW, height: outH, rgba };
}
