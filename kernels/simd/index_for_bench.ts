// The SIMD products as one import, for bench/gemm_ab.ts to compare two checkouts side by side.
export { setSimdFma, sgemm } from './gemm.js';
export { sgemmConv2d, sgemmConv2dBackwardFilter, sgemmConv2dBackwardInput } from './conv.js';
