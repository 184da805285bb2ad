/** Container images: the Dockerfile, the staged build context, building, and preflight checks. */
export { type BuildOptions, type BuiltImage, buildImage, defaultTag } from "./build.js";
export {
  DEFAULT_BASE_IMAGE,
  DEFAULT_XGBOOST_VERSION,
  type DockerfileOptions,
  IMAGE_PATHS,
  LABELS,
  renderDockerfile,
} from "./dockerfile.js";
export {
  type DoctorImageOptions,
  doctorImage,
  doctorProject,
  type Finding,
  formatFindings,
  PING_TIMEOUT_MS,
  projectModelDir,
  SERVERLESS_IMAGE_LIMIT_BYTES,
} from "./doctor.js";
export {
  type ContainerEngine,
  cliEngine,
  detectEngine,
  type EngineResult,
  type EngineRunOptions,
  type ImageInfo,
  inspectImage,
} from "./engine.js";
export {
  DEFAULT_LINE,
  IMAGE_LINES,
  type ImageLine,
  parseXGBoostLine,
  type XGBoostLine,
} from "./lines.js";
export {
  MIN_NODE_MAJOR,
  NODE_RELEASES,
  type NodeRelease,
  type NodeSupport,
  nodeSupport,
} from "./node-releases.js";
export {
  architectureOf,
  DEFAULT_PLATFORM,
  type Platform,
  parsePlatform,
  platformForInstanceType,
} from "./platform.js";
export { type ScaffoldOptions, scaffoldFiles, scaffoldProject } from "./scaffold.js";
export {
  listStaged,
  runtimePackageDir,
  type StagedContext,
  type StageOptions,
  sourceDateEpoch,
  stageContext,
} from "./stage.js";
