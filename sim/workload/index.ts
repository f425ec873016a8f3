/** Public API of the workload domain: catalog, accounting, training costs. */
export type { ModelArch, MlaSpec, Op, OpKind, Precision } from './types.ts';
export { getModel, hasModel, listModels, parseCatalog, UnknownModelError } from './catalog.ts';
export { attnDims, blockMatrices, type AttnDims, type Matrix, type MatrixRole } from './shapes.ts';
export {
  bytesPerWeight,
  checkFits,
  computeDtype,
  cutActivationBytes,
  decodeOps,
  FitError,
  kvBytesPerToken,
  layerWeightBytes,
  memoryFootprint,
  opsTotals,
  paramBreakdown,
  paramCount,
  paramsPerLayer,
  prefillOps,
  weightBytes,
  type FootprintOptions,
  type LayerRange,
  type MemoryFootprint,
  type OpsTotals,
  type ParamBreakdown,
  type PrefillOptions,
} from './accounting.ts';
export {
  loraMatrixParams,
  optimizerStateBytesPerParam,
  smashedDataBytes,
  trainableParams,
  trainingCost,
  trainingOps,
  trainingStepOps,
  type LoraTarget,
  type OptimizerKind,
  type Peft,
  type TrainingCost,
  type TrainingOps,
  type TrainingSpec,
} from './training.ts';
