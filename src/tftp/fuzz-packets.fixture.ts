// Random and mutated TFTP packets for the fuzz tests of the codec and the server. Deterministic from a seed, so a
// failure can be replayed.

/** A small deterministic PRNG (mulberry32), so a failing fuzz case can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fuzzPackets(count: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  const seeds = [
    bytes([0, 1], 'pxelinux.0\0octet\0blksize\x001468\0tsize\x000\0windowsize\x0016\0'),
    bytes([0, 2], 'upload\0netascii\0'),
    bytes([0, 3, 0, 1], 'some data'),
    bytes([0, 4, 0, 1]),
    bytes([0, 5, 0, 8], 'refused\0'),
    bytes([0, 6], 'tsize\x00123\0'),
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 4 === 0) {
      out.push(Buffer.from(Array.from({ length: int(64) }, () => int(256))));
      continue;
    }
    const packet = [...(seeds[int(seeds.length)] as Buffer)];
    for (let m = 1 + int(4); m > 0; m--) {
      const at = int(packet.length + 1);
      switch (int(5)) {
        case 0:
          packet[at] = int(256);
          break;
        case 1:
          packet.splice(at, 1);
          break;
        case 2:
          packet.splice(at, 0, 0);
          break;
        case 3:
          packet.length = Math.min(packet.length, at);
          break;
        default:
          packet.splice(at, 0, ...Array.from({ length: int(600) }, () => int(256)));
      }
    }
    out.push(Buffer.from(packet.map((b) => b ?? 0)));
  }
  return out;
}
