/**
 * `file://` objects are copied, never hard-linked: a job's `/opt/ml/input/data` is its own, so a
 * job writing there must not change the user's file. Checked on `download()` and on a training
 * job's layout, by writing through the job's copy and reading the user's file back (and by inode).
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { TrainingJobDoc } from "../docs.js";
import { layoutTrainingJob } from "../engines/training/layout.js";
import { createStorage } from "./storage.js";

const ROWS = "setosa,5.1,3.5,1.4,0.2\n";

let work: string;
let userFile: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-storage-"));
  await mkdir(join(work, "data"), { recursive: true });
  userFile = join(work, "data", "iris.csv");
  writeFileSync(userFile, ROWS);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("file:// objects", () => {
  it("are downloaded as a copy: another inode, and writing it leaves the user's file as it was", async () => {
    const dest = join(work, "copy", "iris.csv");
    await createStorage({ env: {} }).download(pathToFileURL(userFile).href, dest);
    assert.notEqual(statSync(dest).ino, statSync(userFile).ino);
    assert.equal(statSync(userFile).nlink, 1);
    appendFileSync(dest, "planted by the job\n");
    assert.equal(readFileSync(userFile, "utf8"), ROWS);
  });

  it("reach a training job's input/data/<channel> as copies the job may change", async () => {
    const job = {
      TrainingJobName: "copies",
      AlgorithmSpecification: { TrainingInputMode: "File" },
      ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1 },
      InputDataConfig: [
        {
          ChannelName: "train",
          DataSource: {
            S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(join(work, "data")).href },
          },
        },
      ],
    } as unknown as TrainingJobDoc;
    const [host] = await layoutTrainingJob(job, {
      jobDir: join(work, "job"),
      storage: createStorage({ env: {} }),
      runner: "runtime",
      log: () => undefined,
    });
    const inJob = join(host!.root, "input", "data", "train", "iris.csv");
    assert.equal(readFileSync(inJob, "utf8"), ROWS);
    assert.notEqual(statSync(inJob).ino, statSync(userFile).ino);
    writeFileSync(inJob, "overwritten by the job\n");
    appendFileSync(inJob, "and more\n");
    assert.equal(readFileSync(userFile, "utf8"), ROWS);
  });
});
