// Visualisation: cross-attention heat maps per token, RGB image composition, PNG output.
export * from './attention_vis.js';
export * from './bitmap_font.js';
export * from './colormap.js';
export * from './image_ops.js';
export { writePngAtomic } from './png_file.js';
