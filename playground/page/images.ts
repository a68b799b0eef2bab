// Reading uploaded files into pixels: the browser decodes the image, a canvas gives its RGBA, and
// a mask is its first channel (as bas train reads mask{i}.png). Masks must match the image's size.

export interface Decoded {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export async function decodeFile(file: File): Promise<Decoded> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name} is not an image the browser can read`);
  }
  const c = document.createElement('canvas');
  c.width = bitmap.width;
  c.height = bitmap.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return { width: c.width, height: c.height, rgba: ctx.getImageData(0, 0, c.width, c.height).data };
}

export function rgbOf(d: Decoded): Uint8Array {
  const out = new Uint8Array(d.width * d.height * 3);
  for (let p = 0; p < d.width * d.height; p++) out.set(d.rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return out;
}

export function maskOf(d: Decoded, image: { width: number; height: number }, name: string): Uint8Array {
  if (d.width !== image.width || d.height !== image.height) {
    throw new Error(`mask ${name} is ${d.width}x${d.height}, the image ${image.width}x${image.height}`);
  }
  const out = new Uint8Array(d.width * d.height);
  for (let p = 0; p < out.length; p++) out[p] = d.rgba[p * 4]!;
  return out;
}
