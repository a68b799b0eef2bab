#!/usr/bin/env bash
# The original's four applications as recipes on scenes the project generates itself
# (docs/recipes.md): image variations (all the learned tokens in one prompt, several seeds),
# entangled scene decomposition (two overlapping objects, each token rendered alone), background
# extraction (--extract_background: the background as a token of its own) and local editing by
# example (bas edit: a learned concept drawn into another image inside a mask). The runs share one
# folder of class images. Pictures land in OUT/*/sheet.png. PARTS picks some (default: all four).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-outputs/recipes}
STEPS=${STEPS:-100}
BAS=${BAS:-npx bas}
PARTS=${PARTS:-variations entangled background edit}
part() { [[ " $PARTS " == *" $1 "* ]]; }
for p in $PARTS; do rm -rf "${OUT:?}/$p"; done
# the small model's recipe (README, "Break-A-Scene on the base model"), sampling as the demo does
TRAIN=(--initial_learning_rate 5e-3 --learning_rate 1e-4 --class_prompt= --num_class_images 20
  --class_data_dir "$OUT/class_images" --num_inference_steps 25 --guidance_scale 4 --seed 0
  --phase1_train_steps "$STEPS" --phase2_train_steps "$STEPS")
SAMPLE=(--num_inference_steps 25 --guidance_scale 4 --num_images 4)

# 1. image variations: three objects; the three tokens together, four seeds
if part variations; then
$BAS make-scene --output_dir "$OUT/variations/scene" --seed 7 --num_objects 3
ALL="a photo of <asset0> and <asset1> and <asset2>"
$BAS train --instance_data_dir "$OUT/variations/scene" --num_of_assets 3 "${TRAIN[@]}" --output_dir "$OUT/variations/model" \
  --validation_prompt "$ALL" --validation_steps 50 --num_validation_images 2 --save_attention_maps --attention_maps_steps 50
$BAS generate --model_path "$OUT/variations/model" --prompt "$ALL" --output_path "$OUT/variations/sample-0.png" "${SAMPLE[@]}" --seed 0
$BAS generate --model_path "$OUT/variations/model" --prompt "$ALL on a black background" --output_path "$OUT/variations/sample-1.png" "${SAMPLE[@]}" --seed 0
SHEET_NAME=sheet.png npx tsx scripts/demo_sheet.ts "$OUT/variations" "$ALL (4 seeds)" "$ALL on a black background"
fi

# 2. entangled scene decomposition: the cyan square covers 40% of the red triangle; each token alone
if part entangled; then
$BAS make-scene --output_dir "$OUT/entangled/scene" --seed 235 --num_objects 2
$BAS train --instance_data_dir "$OUT/entangled/scene" --num_of_assets 2 "${TRAIN[@]}" --output_dir "$OUT/entangled/model"
$BAS generate --model_path "$OUT/entangled/model" --prompt "a photo of <asset0>" --output_path "$OUT/entangled/sample-0.png" "${SAMPLE[@]}" --seed 0
$BAS generate --model_path "$OUT/entangled/model" --prompt "a photo of <asset1>" --output_path "$OUT/entangled/sample-1.png" "${SAMPLE[@]}" --seed 0
SHEET_NAME=sheet.png npx tsx scripts/demo_sheet.ts "$OUT/entangled" "a photo of <asset0> (4 seeds)" "a photo of <asset1> (4 seeds)"
fi

# 3. background extraction: a green cross and a pink diamond on a textured brown background; the
# background becomes <asset2>, its mask what neither object mask covers
if part background || part edit; then
$BAS make-scene --output_dir "$OUT/background/scene" --seed 13 --num_objects 2
$BAS train --instance_data_dir "$OUT/background/scene" --num_of_assets 2 --extract_background "${TRAIN[@]}" --output_dir "$OUT/background/model"
fi
if part background; then
BG=("a photo of <asset2>" "a photo of <asset1> on <asset2>" "a photo of a yellow circle on <asset2>")
for i in 0 1 2; do
  $BAS generate --model_path "$OUT/background/model" --prompt "${BG[$i]}" --output_path "$OUT/background/sample-$i.png" \
    --attention_map_path "$OUT/background/sample-$i-attn.png" "${SAMPLE[@]}" --seed 0
done
SHEET_NAME=sheet.png npx tsx scripts/demo_sheet.ts "$OUT/background" "${BG[0]} (4 seeds)" "${BG[1]}" "${BG[2]}"
fi

# 4. local editing by example: the purple cross of another scene replaced by <asset1> (the pink
# diamond learned in 3) inside that cross's own mask; outside it the image is kept exactly
if part edit; then
$BAS make-scene --output_dir "$OUT/edit/scene" --seed 22 --num_objects 1
for i in 0 1; do
  prompt=("a photo of <asset1>" "a photo of <asset0>")
  $BAS edit --model_path "$OUT/background/model" --init_image "$OUT/edit/scene/img.png" --mask "$OUT/edit/scene/mask0.png" \
    --prompt "${prompt[$i]}" --output_path "$OUT/edit/sample-$i.png" "${SAMPLE[@]}" --seed 0
done
SCENE_LABEL="image to edit" MASK_LABELS="edit mask" SHEET_NAME=sheet.png npx tsx scripts/demo_sheet.ts "$OUT/edit" \
  "bas edit: a photo of <asset1> (4 seeds)" "bas edit: a photo of <asset0> (4 seeds)"
fi
# the README's picture of report.html: Debian's chromium, headless, then 128 colours
if part variations && command -v chromium > /dev/null; then
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$OUT/report.png" \
    --window-size=1200,2000 "file://$PWD/$OUT/variations/model/report.html" 2> /dev/null
  if command -v convert > /dev/null; then convert "$OUT/report.png" -dither None -colors 128 "PNG8:$OUT/report-128.png"; fi
fi
for p in $PARTS; do echo "recipes: $OUT/$p/sheet.png"; done
