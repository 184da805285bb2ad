/**
 * Which channel files each local host receives. `FullyReplicated`: every host gets every file.
 * `ShardedByS3Key`: SageMaker gives each of n hosts about 1/n of the S3 objects, whole, and says
 * no more (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html); sagebrew deals the files, sorted by their path under the
 * channel, round-robin: host i (0-based, in sorted host order) gets files i, i+n, i+2n, … So with
 * fewer files than hosts some hosts get none, as on SageMaker. Pure.
 */

export type Distribution = "FullyReplicated" | "ShardedByS3Key";

/** The files (paths relative to the channel) host `index` of `count` receives. */
export function filesForHost(
  files: readonly string[],
  distribution: Distribution,
  index: number,
  count: number,
): string[] {
  const sorted = [...files].sort();
  if (distribution === "FullyReplicated") return sorted;
  return sorted.filter((_, i) => i % count === index);
}

/** `algo-1` … `algo-N`, in SageMaker's (lexicographic) order: `algo-10` sorts before `algo-2`. */
export function hostNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `algo-${i + 1}`).sort();
}
