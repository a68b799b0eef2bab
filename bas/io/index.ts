// Image and mask I/O: PNG/JPEG decoding, atomic PNG writing, resizing, tensor conversion and
// Break-A-Scene instance folders.
export { readImage, decodePng, decodeJpeg, imageKind, type RgbaImage, type ImageKind } from './image.js';
export { writePng, encodePng, type PngPixels } from './png.js';
export { writeImage, encodeJpeg, JPEG_QUALITY, type RgbPixels } from './write_image.js';
export { resizeImage, resizeNearest, resizePlanes, resizeNearestChannel, toPlanes, type FloatPlanes } from './resize.js';
export { imageToTensor, maskToTensor, tensorToImage } from './tensor.js';
export { loadInstanceFolder, type InstanceFolder, type LoadInstanceOptions } from './instance.js';
