// The synthetic world the project pretrains its text-to-image model on and evaluates
// Break-A-Scene with: seeded scenes of coloured shapes on backgrounds, exact masks, captions, a
// streaming sampler, scene folders on disk, and the rule-based detector that judges generated images.
export * from './palette.js';
export { SHAPE_NAMES, SHAPES, insideShape, type ShapeName, type ShapeDef } from './shapes.js';
export * from './scene.js';
export * from './caption.js';
export { renderScene, renderBackground, objectPixels, ownerMap, type RenderedScene } from './render.js';
export { sampleScene, sampleBackground, MIN_OBJECTS, MAX_OBJECTS, MIN_VISIBLE_FRACTION, MIN_MARGIN_PIXELS, MIN_MARGIN_FRACTION, PLACEMENTS, type Placement, type SampleSceneOptions, type SampleStats } from './sample.js';
export { sceneStream, sceneAt, sampleSeed, SceneStream, type SceneSample, type SceneStreamOptions, type SceneStreamState } from './stream.js';
export { writeSceneFolder, readSceneJson, parseScene, sceneToJson, type WriteSceneFolderOptions } from './folder.js';
export {
  detect, labelPixels, colourRegion, LABEL_BACKGROUND, LABEL_UNSURE, MIN_AREA_32, MIN_COMPONENT_AREA_32, fitRegion, sizeOfRadius, SIZE_RADIUS_RANGES, FIT_RADIUS_RANGE, REFERENCE_RESOLUTION,
  type Detection, type DetectOptions, type ColourRegion,
} from './detector.js';
export { fitShapes, STATE_BACKGROUND, STATE_IGNORE, STATE_REGION, type ShapeFit, type FitOptions } from './fit.js';
