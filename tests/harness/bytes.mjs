// Test data for every Node suite.

/** Deterministic test bytes (every byte value occurs for n >= 256, including 0x00, 0x1e and 0xff). */
export function bytes(n, seed = 7) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}
