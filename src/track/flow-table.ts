import type { ConnectionStore } from './connection-store.js';

/**
 * Maps a TCP 4-tuple (either direction) to the id of the connection that
 * currently owns it. Open addressing over an Int32Array with numeric hashes:
 * string keys would allocate per packet and cost ~4× the throughput.
 */
export class FlowTable {
  private slots: Int32Array; // connection id + 1, 0 = empty
  private mask: number;
  private used = 0;
  /** Direction of the packet relative to the connection found by the last lookup (0 = A→B). */
  lastDir = 0;

  constructor(
    private readonly store: ConnectionStore,
    initialSlots = 2048,
  ) {
    let size = 16;
    while (size < initialSlots) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  memoryBytes(): number {
    return this.slots.byteLength;
  }

  /** Symmetric hash: the same for both directions of a flow. */
  static hash(src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const a = mix(src[0]! ^ Math.imul(src[1]!, 0x85ebca6b) ^ Math.imul(src[2]!, 0xc2b2ae35) ^ src[3]! ^ (sport << 7));
    const b = mix(dst[0]! ^ Math.imul(dst[1]!, 0x85ebca6b) ^ Math.imul(dst[2]!, 0xc2b2ae35) ^ dst[3]! ^ (dport << 7));
    return mix((a + b) | 0);
  }

  /** Id of the connection for this tuple, or -1. Sets lastDir. */
  find(hash: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      const c = v - 1;
      const dir = this.matches(c, src, dst, sport, dport);
      if (dir >= 0) {
        this.lastDir = dir;
        return c;
      }
    }
  }

  /** Point the tuple at connection `c` (inserting, or replacing an older owner after port reuse). */
  assign(hash: number, c: number): void {
    const s = this.store;
    const a = c * 8;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === 0) {
        this.slots[i] = c + 1;
        if (++this.used * 2 > this.slots.length) this.rehash();
        return;
      }
      const o = v - 1;
      if (
        s.port[o * 2] === s.port[c * 2] && s.port[o * 2 + 1] === s.port[c * 2 + 1] &&
        sameWords(s.addr, o * 8, a) && sameWords(s.addr, o * 8 + 4, a + 4)
      ) {
        this.slots[i] = c + 1;
        return;
      }
    }
  }

  /** 0 when (src,sport) is side A of connection c, 1 when it is side B, -1 when c is another flow. */
  private matches(c: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const s = this.store;
    const pa = s.port[c * 2]!;
    const pb = s.port[c * 2 + 1]!;
    const addr = s.addr;
    const a = c * 8;
    if (pa === sport && pb === dport && eqAddr(addr, a, src) && eqAddr(addr, a + 4, dst)) return 0;
    if (pa === dport && pb === sport && eqAddr(addr, a, dst) && eqAddr(addr, a + 4, src)) return 1;
    return -1;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.slots.length - 1;
    const s = this.store;
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v === 0) continue;
      const c = v - 1;
      const h = hashStored(s, c);
      let j = h & this.mask;
      while (this.slots[j] !== 0) j = (j + 1) & this.mask;
      this.slots[j] = v;
    }
  }
}

const tmpA = new Uint32Array(4);
const tmpB = new Uint32Array(4);

function hashStored(s: ConnectionStore, c: number): number {
  for (let k = 0; k < 4; k++) {
    tmpA[k] = s.addr[c * 8 + k]!;
    tmpB[k] = s.addr[c * 8 + 4 + k]!;
  }
  return FlowTable.hash(tmpA, tmpB, s.port[c * 2]!, s.port[c * 2 + 1]!);
}

function eqAddr(store: Uint32Array, at: number, w: Uint32Array): boolean {
  return store[at] === w[0] && store[at + 1] === w[1] && store[at + 2] === w[2] && store[at + 3] === w[3];
}

function sameWords(store: Uint32Array, x: number, y: number): boolean {
  return store[x] === store[y] && store[x + 1] === store[y + 1] && store[x + 2] === store[y + 2] && store[x + 3] === store[y + 3];
}

/** murmur3 finalizer: spreads low-entropy tuples (sequential ports) across the table. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
