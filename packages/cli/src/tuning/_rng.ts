/**
 * Seeded random numbers for the strategies: xoshiro128** seeded through splitmix32. A stream is
 * named by the job's seed and a stream number (the trial's index), so a proposal depends only on
 * the seed, its index and what was observed before it — never on how many numbers other code
 * drew — and a tuning job replayed from its saved state proposes the same trials. Pure.
 */

/** A source of uniform numbers in [0, 1). */
export type Uniform = () => number;

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The stream `stream` of seed `seed`: the same pair always gives the same numbers. */
export function rngStream(seed: number, stream: number): Uniform {
  // Mix the pair into one 32-bit seed; splitmix spreads nearby pairs apart.
  const mix = splitmix32((Math.imul(seed >>> 0, 0x27d4eb2d) ^ Math.imul(stream >>> 0, 0x165667b1)) >>> 0);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(u: Uniform): number {
  const a = 1 - u();
  const b = u();
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
}

/** A whole number in [0, n). */
export function below(u: Uniform, n: number): number {
  return Math.min(n - 1, Math.floor(u() * n));
}
