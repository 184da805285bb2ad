/**
 * The images SageMaker publishes for its built-in XGBoost algorithm: each region's registry
 * account and the tags, from the SageMaker Python SDK's `image_uri_config/xgboost.json`
 * (github.com/aws/sagemaker-python-sdk, `sagemaker-core/src/sagemaker/core/image_uri_config/xgboost.json`
 * at commit a24812666d25, Apache-2.0), the tags as its `image_uris.retrieve` forms them; and what
 * an image URI of those repositories names. Pure.
 */

/** `sagemaker-xgboost`: region → account. */
export const SAGEMAKER_XGBOOST_REGISTRIES: Readonly<Record<string, string>> = {
  "af-south-1": "510948584623",
  "ap-east-1": "651117190479",
  "ap-northeast-1": "354813040037",
  "ap-northeast-2": "366743142698",
  "ap-northeast-3": "867004704886",
  "ap-south-1": "720646828776",
  "ap-south-2": "628508329040",
  "ap-southeast-1": "121021644041",
  "ap-southeast-2": "783357654285",
  "ap-southeast-3": "951798379941",
  "ap-southeast-4": "106583098589",
  "ca-central-1": "341280168497",
  "ca-west-1": "190319476487",
  "cn-north-1": "450853457545",
  "cn-northwest-1": "451049120500",
  "eu-central-1": "492215442770",
  "eu-central-2": "680994064768",
  "eu-north-1": "662702820516",
  "eu-south-1": "978288397137",
  "eu-south-2": "104374241257",
  "eu-west-1": "141502667606",
  "eu-west-2": "764974769150",
  "eu-west-3": "659782779980",
  "il-central-1": "898809789911",
  "me-central-1": "272398656194",
  "me-south-1": "801668240914",
  "sa-east-1": "737474898029",
  "us-east-1": "683313688378",
  "us-east-2": "257758044811",
  "us-gov-east-1": "237065988967",
  "us-gov-west-1": "414596584902",
  "us-iso-east-1": "833128469047",
  "us-isob-east-1": "281123927165",
  "us-isof-east-1": "108575199400",
  "us-isof-south-1": "124985052026",
  "us-west-1": "746614075791",
  "us-west-2": "246618743249",
};

/** The legacy `xgboost` repository (XGBoost 0.72, tag `1`): region → account. */
export const LEGACY_XGBOOST_REGISTRIES: Readonly<Record<string, string>> = {
  "af-south-1": "455444449433",
  "ap-east-1": "286214385809",
  "ap-northeast-1": "501404015308",
  "ap-northeast-2": "306986355934",
  "ap-northeast-3": "867004704886",
  "ap-south-1": "991648021394",
  "ap-south-2": "628508329040",
  "ap-southeast-1": "475088953585",
  "ap-southeast-2": "544295431143",
  "ap-southeast-3": "951798379941",
  "ap-southeast-4": "106583098589",
  "ca-central-1": "469771592824",
  "cn-north-1": "390948362332",
  "cn-northwest-1": "387376663083",
  "eu-central-1": "813361260812",
  "eu-central-2": "680994064768",
  "eu-north-1": "669576153137",
  "eu-south-1": "257386234256",
  "eu-south-2": "104374241257",
  "eu-west-1": "685385470294",
  "eu-west-2": "644912444149",
  "eu-west-3": "749696950732",
  "me-central-1": "272398656194",
  "me-south-1": "249704162688",
  "sa-east-1": "855470959533",
  "us-east-1": "811284229777",
  "us-east-2": "825641698319",
  "us-gov-east-1": "237065988967",
  "us-gov-west-1": "226302683700",
  "us-iso-east-1": "490574956308",
  "us-isob-east-1": "765400339828",
  "us-west-1": "632365934929",
  "us-west-2": "433757028032",
};

/** `sagemaker-xgboost` tag → the image version it runs (training and inference scopes; Graviton tags too). */
export const SAGEMAKER_XGBOOST_TAGS: Readonly<Record<string, string>> = {
  "0.90-1-cpu-py3": "0.90-1",
  "0.90-2-cpu-py3": "0.90-2",
  "1.0-1-cpu-py3": "1.0-1",
  "1.2-1": "1.2-1",
  "1.2-2": "1.2-2",
  "1.3-1": "1.3-1",
  "1.5-1": "1.5-1",
  "1.7-1": "1.7-1",
  "3.0-5": "3.0-5",
  "3.2-0": "3.2-0",
  "1.3-1-arm64": "1.3-1",
  "1.5-1-arm64": "1.5-1",
};

/** What an image URI of SageMaker's XGBoost repositories names. */
export type XGBoostImage =
  /** A published image: `emulate` is the `SAGEBREW_EMULATE` it runs under (none for a digest). */
  | { readonly kind: "published"; readonly emulate?: string; readonly note?: string }
  /** No such image in SageMaker's registries: CreateTrainingJob and CreateModel refuse it. */
  | { readonly kind: "missing"; readonly message: string };

const URI =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|csp\.hci\.ic\.gov|cloud\.adc-e\.uk)\/(sagemaker-xgboost|xgboost)(?::([A-Za-z0-9._-]+)|@(sha256:[0-9a-f]{64}))?$/;

/** The versions `SAGEBREW_EMULATE` knows (the runtime's list); 3.2-0 runs as 3.0-5. */
const EMULATED: Readonly<Record<string, string>> = { "3.2-0": "3.0-5" };

/**
 * Reads an image URI of SageMaker's XGBoost repositories (`sagemaker-xgboost`, and the legacy
 * `xgboost`) against the registries SageMaker publishes; undefined for any other image (an
 * account that is not SageMaker's holds a user's own image).
 */
export function xgboostImage(image: string): XGBoostImage | undefined {
  const m = URI.exec(image);
  if (!m) return undefined;
  const [, account, region, , repository, tag, digest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
    string?,
  ];
  const registries =
    repository === "sagemaker-xgboost" ? SAGEMAKER_XGBOOST_REGISTRIES : LEGACY_XGBOOST_REGISTRIES;
  if (!Object.values(registries).includes(account)) return undefined;
  const missing = (): XGBoostImage => ({
    kind: "missing",
    // CreateTrainingJob's answer for an image ECR does not have (public reports of it).
    message: `Cannot find the requested image: ${image} with tag: ${tag ?? "latest"} and digest: ${digest ?? "null"}. Please check if your ECR image exists and the role has proper pull permissions for SageMaker: ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer`,
  });
  if (registries[region] !== account) return missing();
  if (digest)
    return { kind: "published", note: "an image digest names no version: it runs as sagebrew, not emulated" };
  if (repository === "xgboost") {
    if (tag !== "1" && tag !== "latest") return missing();
    return {
      kind: "published",
      emulate: "sagemaker-xgboost:0.90-1",
      note: "the legacy XGBoost 0.72 algorithm (xgboost:1) runs as sagemaker-xgboost 0.90-1, the nearest whose code is public",
    };
  }
  const version = tag === undefined ? undefined : SAGEMAKER_XGBOOST_TAGS[tag];
  if (!version) return missing();
  const emulated = EMULATED[version] ?? version;
  return {
    kind: "published",
    emulate: `sagemaker-xgboost:${emulated}`,
    ...(emulated !== version
      ? { note: `sagemaker-xgboost ${version} runs as ${emulated}, the newest version sagebrew emulates` }
      : {}),
  };
}
