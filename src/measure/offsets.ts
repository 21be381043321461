/**
 * Uniform random block-aligned offsets in [0, spanBytes). Seeded (xorshift128+ on two 32-bit
 * halves, no BigInt) so a run can be repeated and tests can check coverage.
 */
export class RandomOffsets {
  private readonly blocks: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(
    readonly spanBytes: number,
    readonly blockSize: number,
    seed = Date.now(),
  ) {
    this.blocks = Math.floor(spanBytes / blockSize);
    if (this.blocks < 1) throw new Error(`span ${spanBytes} holds no block of ${blockSize} bytes`);
    // splitmix-style scramble so nearby seeds give unrelated streams.
    this.s0 = mix(seed) | 1;
    this.s1 = mix(seed + 0x9e3779b9);
    this.s2 = mix(seed + 0x3c6ef372);
    this.s3 = mix(seed + 0xdaa66d2b);
  }

  /** xoshiro128** step: 32 random bits. */
  private nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  next(): number {
    // 53 random bits as a fraction: unbiased enough for any device size (< 2^53 blocks).
    const hi = this.nextU32() >>> 11;
    const lo = this.nextU32();
    const fraction = (hi * 2 ** 32 + lo) / 2 ** 53;
    return Math.floor(fraction * this.blocks) * this.blockSize;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mix(x: number): number {
  let z = (x >>> 0) + 0x6d2b79f5;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return (z ^ (z >>> 14)) | 0;
}
