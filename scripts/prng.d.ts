/** mulberry32: a tiny seeded PRNG (prng.js), for reproducible generated data and randomized tests. */
export function prng(seed: number): () => number;
