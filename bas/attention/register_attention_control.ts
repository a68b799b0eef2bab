// register_attention_control: every attention layer of the UNet (self and cross; down, mid and up)
// gets a P2PCrossAttnProcessor that reports to `controller`, which learns how many layers make
// one forward pass.
import type { AttentionProcessor } from '../../nn/attention_processor.js';
import type { AttentionControl, PlaceInUnet } from './attention_control.js';
import { P2PCrossAttnProcessor } from './p2p_processor.js';

export interface HasAttnProcessors {
  readonly attn_processors: Record<string, AttentionProcessor>;
  set_attn_processor(processor: AttentionProcessor | Record<string, AttentionProcessor>): void;
}

function placeInUnet(processorName: string): PlaceInUnet | null {
  if (processorName.startsWith('mid_block')) return 'mid';
  if (processorName.startsWith('up_blocks')) return 'up';
  if (processorName.startsWith('down_blocks')) return 'down';
  return null;
}

/** Installs the processors and returns their previous map (to restore the UNet afterwards). */
export function register_attention_control(unet: HasAttnProcessors, controller: AttentionControl): Record<string, AttentionProcessor> {
  const previous = unet.attn_processors;
  const procs: Record<string, AttentionProcessor> = {};
  let count = 0;
  for (const name of Object.keys(previous)) {
    const place = placeInUnet(name);
    // a layer outside the blocks keeps its processor (none exist in this UNet; diffusers' guard)
    if (place === null) {
      procs[name] = previous[name]!;
      continue;
    }
    procs[name] = new P2PCrossAttnProcessor(controller, place, name.replace(/\.processor$/, ''));
    count++;
  }
  unet.set_attn_processor(procs);
  controller.num_att_layers = count;
  return previous;
}
