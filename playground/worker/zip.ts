// A store-only ZIP writer (no compression: safetensors weights hardly compress), enough to hand a
// pipeline folder to the reader as one download: local headers, the central directory, the end
// record, CRC-32 per entry, UTF-8 names, a fixed timestamp so the same files give the same bytes.

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  name: string;
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 1980-01-01 00:00 in MS-DOS date and time, the earliest ZIP can say. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** General-purpose flag bit 11: the name is UTF-8. */
const UTF8 = 0x0800;
const LIMIT = 0xffffffff;

/** The fields a local header and a central-directory entry share, from "version needed" to the name's length. */
function header(v: DataView, at: number, crc: number, size: number, nameLength: number): void {
  v.setUint16(at, 20, true); // version needed: 2.0
  v.setUint16(at + 2, UTF8, true);
  v.setUint16(at + 4, 0, true); // method: stored
  v.setUint16(at + 6, DOS_TIME, true);
  v.setUint16(at + 8, DOS_DATE, true);
  v.setUint32(at + 10, crc, true);
  v.setUint32(at + 14, size, true);
  v.setUint32(at + 18, size, true);
  v.setUint16(at + 22, nameLength, true);
}

export function zipStore(entries: readonly ZipEntry[]): Uint8Array {
  if (entries.length > 0xffff) throw new Error(`zip: ${entries.length} entries; this writer (no ZIP64) holds at most 65535`);
  const enc = new TextEncoder();
  const names = entries.map((e) => {
    if (e.name === '' || e.name.startsWith('/') || e.name.split('/').includes('..')) throw new Error(`zip: bad entry name "${e.name}"`);
    return enc.encode(e.name);
  });
  const local = entries.reduce((s, e, i) => s + 30 + names[i]!.length + e.data.length, 0);
  const central = names.reduce((s, n) => s + 46 + n.length, 0);
  if (local + central + 22 > LIMIT) throw new Error('zip: archive over 4 GiB; this writer (no ZIP64) cannot hold it');
  const out = new Uint8Array(local + central + 22);
  const v = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  const crcs = entries.map((e) => crc32(e.data));
  // local header + data
  entries.forEach((e, i) => {
    offsets.push(at);
    v.setUint32(at, 0x04034b50, true);
    header(v, at + 4, crcs[i]!, e.data.length, names[i]!.length);
    v.setUint16(at + 28, 0, true); // no extra field
    out.set(names[i]!, at + 30);
    at += 30 + names[i]!.length;
    out.set(e.data, at);
    at += e.data.length;
  });
  const centralAt = at;
  entries.forEach((e, i) => {
    v.setUint32(at, 0x02014b50, true);
    v.setUint16(at + 4, 20, true); // made by: 2.0, MS-DOS attributes
    header(v, at + 6, crcs[i]!, e.data.length, names[i]!.length);
    // extra, comment, disk number, internal and external attributes: all zero
    v.setUint32(at + 42, offsets[i]!, true);
    out.set(names[i]!, at + 46);
    at += 46 + names[i]!.length;
  });
  v.setUint32(at, 0x06054b50, true);
  v.setUint16(at + 8, entries.length, true);
  v.setUint16(at + 10, entries.length, true);
  v.setUint32(at + 12, at - centralAt, true);
  v.setUint32(at + 16, centralAt, true);
  return out;
}
