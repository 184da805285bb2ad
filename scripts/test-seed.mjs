// The seed of the property tests (fast-check), shared by scripts/run-tests.mjs, scripts/fuzz.mjs and
// test/kit/property.ts: $SAGEBREW_TEST_SEED when set, else a fixed default, so `npm test` draws the
// same inputs on every run and machine; `npm run fuzz` explores other seeds.

/** The environment variable that overrides the seed. */
export const TEST_SEED_ENV = "SAGEBREW_TEST_SEED";

/** The seed `npm test` uses when the variable is not set. */
export const DEFAULT_TEST_SEED = 20260301;

/** The seed for this run; a value that is not a 32-bit integer is an error, not a silent default. */
export function testSeed(env = process.env) {
  const raw = env[TEST_SEED_ENV];
  if (raw === undefined || raw === "") return DEFAULT_TEST_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 32) {
    throw new Error(`${TEST_SEED_ENV}=${raw} is not a 32-bit integer`);
  }
  return seed;
}
