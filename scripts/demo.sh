#!/usr/bin/env bash
# The main job on the embedded default: make a synthetic scene, extract its three concepts with
# Break-A-Scene, and render new compositions with the learned tokens. Pictures land in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-outputs/demo}
STEPS=${STEPS:-50}
rm -rf "$OUT"
npx bas make-scene --output_dir "$OUT/scene" --seed 7 --num_objects 3
# the small model's recipe (README, "Break-A-Scene on the base model"): the original's learning
# rates are Stable Diffusion's; prior preservation on the base model's unconditional samples keeps
# the background sane under the masked loss
npx bas train --instance_data_dir "$OUT/scene" --num_of_assets 3 \
  --phase1_train_steps "$STEPS" --phase2_train_steps "$STEPS" \
  --initial_learning_rate 5e-3 --learning_rate 1e-4 \
  --class_prompt= --num_class_images 20 --num_inference_steps 25 --guidance_scale 4 \
  --output_dir "$OUT/model" --seed 0
PROMPTS=("a photo of <asset0>" "a photo of <asset1> and <asset2>" "a photo of <asset2> on a grey background")
i=0
for prompt in "${PROMPTS[@]}"; do
  npx bas generate --model_path "$OUT/model" --prompt "$prompt" --output_path "$OUT/sample-$i.png" \
    --attention_map_path "$OUT/sample-$i-attn.png" --num_inference_steps 25 --guidance_scale 4 --seed "$i"
  i=$((i + 1))
done
npx tsx scripts/demo_sheet.ts "$OUT" "${PROMPTS[@]}"
echo "demo: scene in $OUT/scene/img.png, training maps in $OUT/model/img_logs/, samples in $OUT/sample-*.png, all in $OUT/demo.png"
