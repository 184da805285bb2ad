/** `sagebrew push`: push an image to ECR (or any registry) as a Docker v2 schema 2 manifest. */
import { mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { EcrApi } from "../aws/index.js";
import type { Registry } from "../publish/index.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew push [image] [options]

Pushes a local image (default: sagebrew-<current dir name>:latest) as a single-platform Docker v2
schema 2 manifest (no OCI index, no attestations: what SageMaker accepts), then reads the manifest
back to verify its media type. Prints the digest and the repo@sha256 reference to deploy with.

Amazon ECR (default): account and region come from the standard AWS credential chain and config
(AWS_PROFILE, AWS_REGION or AWS_DEFAULT_REGION, ~/.aws/config, SSO, instance roles); the
repository is created when missing; login uses ECR GetAuthorizationToken (no AWS CLI, no docker
login).

Options:
  --repository <name>      ECR repository (default: the image name)
  --tag <tag>              tag to push (default: the image's tag, else latest)
  --region <region>        AWS region (default: from the environment or profile)
  --profile <name>         AWS profile (default: AWS_PROFILE)
  --scan-on-push           enable ECR image scanning when creating the repository
  --registry <host/repo>   push to another registry instead of ECR, e.g. 127.0.0.1:5000/iris
                           (HTTP for loopback hosts; credentials from SAGEBREW_REGISTRY_USERNAME
                           and SAGEBREW_REGISTRY_PASSWORD)
  --insecure               use plain HTTP for --registry
  --archive <file>         push this docker save / \`sagebrew build --engine none --output\` archive
                           instead of asking the engine for the image (no daemon needed)
  --engine <name>          docker or podman (default: $SAGEBREW_ENGINE, else docker, else podman)
  -h, --help               show this help

Example:
  sagebrew push iris-xgboost:dev
  sagebrew push iris-xgboost:dev --registry 127.0.0.1:5000/iris-xgboost
`;

const OPTIONS = {
  repository: { type: "string" },
  tag: { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  "scan-on-push": { type: "boolean" },
  registry: { type: "string" },
  insecure: { type: "boolean" },
  archive: { type: "string" },
  engine: { type: "string" },
} as const;

/** Side effects of `sagebrew push`, replaceable in tests. */
export interface PushDeps {
  /** Builds the ECR client. Default: `sdkEcr` (AWS SDK v3). */
  ecr?: (options: { region?: string; profile?: string }) => EcrApi;
  /** Opens a registry client for a host. Default: `RegistryClient`. */
  openRegistry?: (host: string, options: { authorization?: string; insecure?: boolean }) => Registry;
}

function splitImage(image: string): { name: string; tag: string } {
  const at = image.indexOf("@");
  const ref = at === -1 ? image : image.slice(0, at);
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  const hasTag = colon > slash;
  return { name: hasTag ? ref.slice(0, colon) : ref, tag: hasTag ? ref.slice(colon + 1) : "latest" };
}

function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sagebrew", "layers");
}

/** Creates the push command with injectable AWS and registry clients. */
export function createPushCommand(deps: PushDeps = {}): Command {
  return {
    name: "push",
    help: HELP,
    async run(argv: readonly string[], io: CommandIo): Promise<number> {
      const parsed = parseCommandArgs(argv, OPTIONS, HELP);
      // Image, registry and AWS code is loaded by the command that uses it, not at CLI start.
      const [
        { prepareEcrPush, sdkEcr },
        { defaultTag },
        { detectEngine },
        { readDockerArchive },
        { pushImage },
        { parseReference, RegistryClient },
      ] = await Promise.all([
        import("../aws/ecr.js"),
        import("../image/build.js"),
        import("../image/engine.js"),
        import("../publish/docker-archive.js"),
        import("../publish/push.js"),
        import("../publish/registry-client.js"),
      ]);
      const { values, positionals } = parsed;
      const image = onePositional(positionals, "image") ?? defaultTag(io.cwd);
      const local = splitImage(image);
      const tag = values.tag ?? local.tag;
      const openRegistry =
        deps.openRegistry ??
        ((host: string, o: { authorization?: string; insecure?: boolean }) => {
          const user = io.env.SAGEBREW_REGISTRY_USERNAME;
          const password = io.env.SAGEBREW_REGISTRY_PASSWORD;
          return new RegistryClient(host, {
            ...o,
            ...(user && password ? { credentials: { username: user, password } } : {}),
          });
        });

      let registry: Registry;
      let repository: string;
      let remoteHost: string;
      if (values.registry) {
        const ref = parseReference(values.registry);
        if (ref.tag || ref.digest) {
          throw new SagebrewError(
            "SB_USAGE",
            `Cannot use --registry ${values.registry}: give host/repository, and the tag with --tag`,
          );
        }
        registry = openRegistry(ref.host, values.insecure ? { insecure: true } : {});
        repository = ref.repository;
        remoteHost = ref.host;
      } else {
        const name = values.repository ?? local.name.split("/").pop() ?? local.name;
        const ecr = (deps.ecr ?? sdkEcr)({
          ...(values.region ? { region: values.region } : {}),
          ...(values.profile ? { profile: values.profile } : {}),
        });
        const target = await prepareEcrPush(ecr, name, values["scan-on-push"] ? { scanOnPush: true } : {});
        io.stderr.write(
          `ECR ${target.uri} (account ${target.account}, ${target.region}): repository ${target.created ? "created" : "exists"}, logged in\n`,
        );
        registry = openRegistry(target.host, { authorization: target.authorization });
        repository = target.repository;
        remoteHost = target.host;
      }

      const work = await mkdtemp(join(tmpdir(), "sagebrew-save-"));
      try {
        const started = performance.now();
        const remote = `${remoteHost}/${repository}`;
        let archive: string;
        if (values.archive) {
          archive = resolve(io.cwd, values.archive);
        } else {
          const engine = await detectEngine({
            env: io.env,
            ...(values.engine ? { preferred: values.engine } : {}),
          });
          archive = join(work, "image.tar");
          io.stderr.write(`saving ${image}\n`);
          await engine.run(["save", "-o", archive, image]);
          await engine.run(["tag", image, `${remote}:${tag}`], { check: false });
        }
        const saved = await readDockerArchive(archive);
        const result = await pushImage(
          saved,
          { registry, repository },
          {
            tag,
            cacheDir: cacheDir(io.env),
            log: (line) => io.stderr.write(`${line}\n`),
          },
        );
        const secs = ((performance.now() - started) / 1000).toFixed(1);
        io.stderr.write(
          `pushed ${remote}:${tag} (${saved.os}/${saved.architecture}, ${result.mediaType}, ${(result.size / 1e6).toFixed(0)} MB compressed, ${result.uploaded} blobs uploaded) in ${secs} s\n`,
        );
        io.stdout.write(`digest: ${result.digest}\n${remote}@${result.digest}\n`);
        return 0;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}

export const pushCommand: Command = createPushCommand();
