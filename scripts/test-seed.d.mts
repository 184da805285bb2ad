/** Types of test-seed.mjs (see there). */
export declare const TEST_SEED_ENV: "SAGEBREW_TEST_SEED";
export declare const DEFAULT_TEST_SEED: number;
export declare function testSeed(env?: NodeJS.ProcessEnv): number;
