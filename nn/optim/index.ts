export * from './adamw.js';
export * from './clip_grad.js';
export * from './lr_schedule.js';
export * from './state_io.js';
