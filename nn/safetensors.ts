// The safetensors format: an 8-byte little-endian u64 header length N, N bytes of JSON header
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}), then the
// tensors' raw little-endian bytes, offsets counted from the first byte after the header. Writes
// F32 and F64 as the reference writer lays them out (header space-padded to 8 bytes, tensors
// contiguous, larger dtypes first, then by name, so every tensor is aligned); reads F32, F64, and
// F16 / BF16 (widened to float32). Reads validate everything and name the file in each error.
import { numel, Tensor } from '../core/index.js';
import { HostStorage, type TypedArray } from '../kernels/index.js';
import type { Files } from '../platform/files.js';
import { files } from '../platform/platform.js';
import { read_file_named, write_file_atomic } from './fs_atomic.js';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16';
const ELEMENT_BYTES: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
/** Dtypes the format defines that this reader does not turn into tensors. */
const OTHER_KNOWN = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2']);
/** The reference implementation's limit on header size. */
const MAX_HEADER = 100_000_000;

export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The safetensors bytes of `tensors` (float32 -> F32, float64 -> F64) with optional metadata. */
export function serialize(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const names = Object.keys(tensors);
  for (const n of names) if (n === '__metadata__') throw new Error('safetensors: "__metadata__" cannot name a tensor');
  const dt = (t: Tensor): SafetensorsDType => (t.dtype === 'float64' ? 'F64' : 'F32');
  names.sort((a, b) => ELEMENT_BYTES[dt(tensors[b]!)] - ELEMENT_BYTES[dt(tensors[a]!)] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`safetensors: metadata value of ${JSON.stringify(k)} must be a string`);
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    const bytes = t.size * ELEMENT_BYTES[dt(t)];
    header[n] = { dtype: dt(t), shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  // the header is padded with spaces to a multiple of 8 bytes, so the data stays aligned
  const json = new Uint8Array(text.length + ((8 - (text.length % 8)) % 8)).fill(0x20);
  json.set(text);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const n of names) {
    const t = tensors[n]!;
    const [begin] = (header[n] as TensorInfo).data_offsets;
    const data = t.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), base + begin);
    } else {
      for (let i = 0; i < data.length; i++) {
        if (t.dtype === 'float64') view.setFloat64(base + begin + 8 * i, data[i]!, true);
        else view.setFloat32(base + begin + 4 * i, data[i]!, true);
      }
    }
  }
  return out;
}

/** IEEE half -> number (exact: every half is a float32). */
export function half_to_float(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fail(source: string, msg: string): never {
  throw new Error(`safetensors ${source}: ${msg}`);
}

/** Parses and checks the header; returns the entries, the metadata and where the data begins. */
export function parse_header(bytes: Uint8Array, source = '<buffer>'): { entries: [string, TensorInfo][]; metadata: Record<string, string>; data_start: number } {
  if (bytes.length < 8) fail(source, `file is truncated: ${bytes.length} bytes, less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n_big = view.getBigUint64(0, true);
  if (n_big > BigInt(bytes.length - 8)) fail(source, `header length ${n_big} runs past the end of the file (${bytes.length} bytes)`);
  const n = Number(n_big);
  if (n > MAX_HEADER) fail(source, `header length ${n} is over the ${MAX_HEADER}-byte limit`);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  if (!text.startsWith('{')) fail(source, 'header does not start with "{"');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(source, 'header is not a JSON object');
  const data_start = 8 + n;
  const data_len = bytes.length - data_start;
  const metadata: Record<string, string> = {};
  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(source, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `__metadata__ value of ${JSON.stringify(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    // as a key of the plain object the tensors are returned in, it would set that object's prototype
    if (name === '__proto__') fail(source, `${what}: this name is not allowed`);
    if (typeof value !== 'object' || value === null) fail(source, `${what}: entry is not an object`);
    const { dtype, shape, data_offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(source, `${what}: dtype missing`);
    if (!(dtype in ELEMENT_BYTES)) {
      if (OTHER_KNOWN.has(dtype)) fail(source, `${what}: dtype ${dtype} is not supported (this reader takes F32, F64, F16, BF16)`);
      fail(source, `${what}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(source, `${what}: shape must be a list of non-negative integers`);
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(source, `${what}: data_offsets must be [begin, end] with non-negative integers`);
    }
    const [begin, end] = data_offsets as [number, number];
    if (begin > end) fail(source, `${what}: data_offsets [${begin}, ${end}] run backwards`);
    if (end > data_len) fail(source, `${what}: data_offsets [${begin}, ${end}] run past the ${data_len} data bytes (file truncated?)`);
    const expect = numel(shape as number[]) * ELEMENT_BYTES[dtype as SafetensorsDType];
    if (end - begin !== expect) {
      fail(source, `${what}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expect} bytes, data_offsets give ${end - begin}`);
    }
    entries.push([name, { dtype: dtype as SafetensorsDType, shape: shape as number[], data_offsets: [begin, end] }]);
  }
  // the data must be covered exactly once, with no gaps and no overlap (as the reference checks)
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let at = 0;
  for (const [name, info] of sorted) {
    const [begin, end] = info.data_offsets;
    if (begin < at) fail(source, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] overlap the previous tensor (which ends at ${at})`);
    if (begin > at) fail(source, `gap in the data: bytes ${at}..${begin} belong to no tensor`);
    at = end;
  }
  if (at !== data_len) fail(source, `${data_len - at} bytes after the last tensor belong to no tensor`);
  return { entries, metadata, data_start };
}

function decode_tensor(bytes: Uint8Array, start: number, info: TensorInfo): Tensor {
  const count = numel(info.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, info.data_offsets[1] - info.data_offsets[0]);
  let out: TypedArray;
  switch (info.dtype) {
    case 'F64':
    case 'F32': {
      out = info.dtype === 'F64' ? new Float64Array(count) : new Float32Array(count);
      if (LITTLE_ENDIAN) {
        // copy the bytes (the source may be unaligned for a typed-array view)
        new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      } else {
        for (let i = 0; i < count; i++) out[i] = info.dtype === 'F64' ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
      }
      break;
    }
    case 'F16':
      out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = half_to_float(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32
      out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
  }
  return new Tensor(new HostStorage(out), info.shape);
}

/** Tensors and metadata from safetensors bytes; `source` names the file in errors. */
export function deserialize(bytes: Uint8Array, source = '<buffer>'): SafetensorsContent {
  const { entries, metadata, data_start } = parse_header(bytes, source);
  const tensors: Record<string, Tensor> = {};
  for (const [name, info] of entries) tensors[name] = decode_tensor(bytes, data_start + info.data_offsets[0], info);
  return { tensors, metadata };
}

/** Writes a .safetensors file (via a temporary name and rename) into `fs` (the platform's files by default). */
export function save_file(tensors: Readonly<Record<string, Tensor>>, path: string, metadata?: Readonly<Record<string, string>>, fs: Files = files()): void {
  write_file_atomic(path, serialize(tensors, metadata), fs);
}

/** Reads the tensors of a .safetensors file. */
export function load_file(path: string, fs: Files = files()): Record<string, Tensor> {
  return deserialize(read_file_named(path, 'safetensors file', fs), path).tensors;
}

/** Reads the tensors and the `__metadata__` of a .safetensors file. */
export function load_file_with_metadata(path: string, fs: Files = files()): SafetensorsContent {
  return deserialize(read_file_named(path, 'safetensors file', fs), path);
}
