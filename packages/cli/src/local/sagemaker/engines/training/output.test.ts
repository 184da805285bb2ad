import assert from "node:assert/strict";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { packModel } from "../../../../sagemaker/model-archive.js";
import type { TrainingJobDoc } from "../../docs.js";
import type { ObjectStorage } from "../../storage/index.js";
import { uploadOutput } from "./_output.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("a training job's model.tar.gz", () => {
  it("has the same bytes as sagebrew deploy's packModel() of the same model directory", async () => {
    const work = await mkdtemp(join(tmpdir(), "sagebrew-output-"));
    dirs.push(work);
    // The host's /opt/ml, as a job leaves it: nested files, a hidden one, one its owner may run,
    // modes and times of its own.
    const root = join(work, "algo-1");
    const model = join(root, "model");
    await mkdir(join(model, "code"), { recursive: true });
    await mkdir(join(root, "output", "data"), { recursive: true });
    await writeFile(join(model, "xgboost-model"), "ubj bytes");
    await writeFile(join(model, ".sagebrew.json"), "{}\n");
    await writeFile(join(model, "code", "handler.js"), "export default {};\n");
    await writeFile(join(model, "code", "run.sh"), "#!/bin/sh\n");
    await chmod(join(model, "code", "run.sh"), 0o750);
    await chmod(join(model, "xgboost-model"), 0o600);
    await utimes(join(model, "xgboost-model"), new Date("2021-03-04"), new Date("2021-03-04"));
    const uploaded = new Map<string, Buffer>();
    const storage: ObjectStorage = {
      list: async () => [],
      download: async () => {},
      read: async () => Buffer.from(""),
      write: async () => {},
      upload: async (file, uri) => {
        uploaded.set(uri, await readFile(file));
        await mkdir(dirname(join(work, "copy")), { recursive: true });
        await copyFile(file, join(work, "copy"));
      },
    };
    const job = {
      TrainingJobName: "j",
      OutputDataConfig: { S3OutputPath: "s3://b/out" },
      ModelArtifacts: { S3ModelArtifacts: "s3://b/out/j/output/model.tar.gz" },
    } as TrainingJobDoc;
    await uploadOutput(job, {
      jobDir: join(work, "job"),
      layouts: [{ host: "algo-1", root, checkpointDir: join(root, "checkpoints"), pipes: [] }],
      storage,
      log: () => {},
    });
    const local = uploaded.get("s3://b/out/j/output/model.tar.gz");
    assert.ok(local, [...uploaded.keys()].join(", "));
    const packed = await packModel(model, join(work, "deploy.tar.gz"));
    assert.ok(local.equals(await readFile(packed.file)), "one writer, one set of bytes");
  });
});
