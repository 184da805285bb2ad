/** The Dockerfile sagebrew builds with (and `sagebrew init` writes into a project). */
import { DEFAULT_LINE, IMAGE_LINES } from "./lines.js";

/** The base image used when `--base-image` / `BASE_IMAGE` is not given (the default line's). */
export const DEFAULT_BASE_IMAGE = IMAGE_LINES[DEFAULT_LINE].baseImage;

/** The libxgboost0 version of the default line (the version the label records). */
export const DEFAULT_XGBOOST_VERSION = IMAGE_LINES[DEFAULT_LINE].xgboost;

/** Label keys written into every image. */
export const LABELS = Object.freeze({
  bindToPort: "com.amazonaws.sagemaker.capabilities.accept-bind-to-port",
  /** `serve` implements the multi-model contract when SageMaker sets SAGEMAKER_MULTI_MODEL=true. */
  multiModels: "com.amazonaws.sagemaker.capabilities.multi-models",
  sagebrewVersion: "dev.sagebrew.version",
  xgboostVersion: "dev.sagebrew.xgboost.version",
  /**
   * Whose code `train` and `serve` run: `builtin` (the project declares no algorithm and no handler:
   * XGBoost) or `project` (its package.json names its own). Written by `sagebrew build` with
   * `--label`, so images built from a project's own Dockerfile carry it too; `sagebrew local` runs
   * only `builtin` images on the host's runtime, which does not have the project's code.
   */
  code: "dev.sagebrew.code",
});

/** Where things live inside the image. */
export const IMAGE_PATHS = Object.freeze({
  home: "/opt/sagebrew",
  entrypoint: "/opt/sagebrew/entrypoint.mjs",
  bin: "/opt/sagebrew/bin",
  program: "/opt/program",
});

/** Options of `renderDockerfile`. */
export interface DockerfileOptions {
  /** Module path of a custom handler inside `/opt/program` (sets `SAGEBREW_HANDLER`). Default: none (XGBoost). */
  handler?: string;
}

/**
 * Renders the Dockerfile. The build context it expects is what `stageContext` writes:
 * `sagebrew/` (entrypoint, PATH programs, runtime and its production dependencies) and `program/`.
 *
 * @example await writeFile("Dockerfile", renderDockerfile({ handler: "handler.mjs" }));
 */
export function renderDockerfile(options: DockerfileOptions = {}): string {
  const handler = options.handler
    ? `\n# The model handler (hooks: load, then decode/predict/encode or transform).\nENV SAGEBREW_HANDLER=${IMAGE_PATHS.program}/${options.handler}\n`
    : "";
  return `# Built by \`sagebrew build\` (Docker or Podman). The build context is staged by sagebrew:
#   sagebrew/  entrypoint, train/serve programs, @sagebrew/runtime and its production dependencies
#   program/   this project's files (handler, code), line endings and modes normalized
# Base: Node.js 26 (Active LTS) slim on Debian trixie, whose libxgboost is 3.0. \`sagebrew build
# --xgboost 1.7\` passes BASE_IMAGE=${IMAGE_LINES["1.7"].baseImage} and XGBOOST_VERSION=${IMAGE_LINES["1.7"].xgboost}.
ARG BASE_IMAGE=${DEFAULT_BASE_IMAGE}
FROM \${BASE_IMAGE}

ARG SAGEBREW_VERSION=0.0.0
ARG XGBOOST_VERSION=${DEFAULT_XGBOOST_VERSION}

# libxgboost from the distribution; skipped when the base image already has it. The installed
# version must match the label.
RUN set -eu; \\
    have="$(dpkg-query -W -f='\${Version}' libxgboost0 2>/dev/null || true)"; \\
    if [ -z "$have" ]; then \\
      apt-get update; \\
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "libxgboost0=\${XGBOOST_VERSION}*"; \\
      rm -rf /var/lib/apt/lists/*; \\
      have="$(dpkg-query -W -f='\${Version}' libxgboost0)"; \\
    fi; \\
    case "$have" in "\${XGBOOST_VERSION}"*) ;; \\
      *) echo "libxgboost0 $have does not match XGBOOST_VERSION=\${XGBOOST_VERSION}" >&2; exit 1 ;; \\
    esac

LABEL ${LABELS.bindToPort}="true" \\
      ${LABELS.multiModels}="true" \\
      ${LABELS.sagebrewVersion}="\${SAGEBREW_VERSION}" \\
      ${LABELS.xgboostVersion}="\${XGBOOST_VERSION}"

# Only production dependencies, prepared on the host (no npm install in the image).
COPY sagebrew/ ${IMAGE_PATHS.home}/
COPY program/ ${IMAGE_PATHS.program}/
# The project's own code may import @sagebrew/runtime: Node finds it in /opt/node_modules.
RUN ln -s ${IMAGE_PATHS.home}/node_modules /opt/node_modules

# SAGEBREW_PROJECT: train and serve read the project's package.json ("sagebrew": { "algorithm",
# "handler" }) from here, as \`sagebrew train\` and \`sagebrew serve\` read it in the project.
ENV PATH=${IMAGE_PATHS.bin}:$PATH \\
    NODE_ENV=production \\
    SAGEBREW_PROJECT=${IMAGE_PATHS.program}
${handler}WORKDIR ${IMAGE_PATHS.program}
EXPOSE 8080

# Exec form: node is PID 1 and gets SIGTERM. \`train\` and \`serve\` run in-process; anything else
# is executed as a command. No tini (SageMaker forbids it as the entrypoint).
ENTRYPOINT ["node", "${IMAGE_PATHS.entrypoint}"]
`;
}
