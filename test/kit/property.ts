/**
 * fast-check for sagebrew's tests: import `fc` from here, never from "fast-check" itself
 * (test/repo/property-seed.e2e.test.ts checks). Every property of a run draws from one seed —
 * $SAGEBREW_TEST_SEED, else a fixed default (scripts/test-seed.mjs) — so `npm test` tries the same
 * inputs on every run and cannot turn red at random; `npm run fuzz` explores new seeds, and a failure
 * names its seed, which reproduces it: `SAGEBREW_TEST_SEED=<seed> node scripts/run-tests.mjs <file>`.
 * Inputs that once failed stay as regression cases beside the property that found them.
 */
import fc from "fast-check";
import { testSeed } from "../../scripts/test-seed.mjs";

// Configured on import: every `fc.assert` of the importing test file takes the seed, unless it names
// its own (only where any other seed could hang the run; the property says why).
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: testSeed() });

export { fc };
