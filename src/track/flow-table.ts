import type { ConnectionStore } from './connection-store.js';
import * as rec from './connection-store.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones (see tcp-tracker.ts).
const { H_PORT, STRIDE16, STRIDE32, W_ADDR } = rec;

/**
 * Maps a TCP 4-tuple (either direction) to the id of the connection that
 * currently owns it. Open addressing over an Int32Array with numeric hashes:
 * string keys would allocate per packet and cost ~4× the throughput.
 */
export class FlowTable {
  private slots: Int32Array; // connection id + 1, 0 = empty
  /** The hash's top 16 bits for each slot. */
  private tags: Uint16Array;
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
    this.tags = new Uint16Array(size);
    this.mask = size - 1;
  }

  memoryBytes(): number {
    return this.slots.byteLength + this.tags.byteLength;
  }

  /**
   * Symmetric hash: the same for both directions of a flow. 30 bits, so that
   * it is a small integer to V8: a larger one is boxed in a heap number each
   * time it is passed to a function, which is once per packet.
   */
  static hash(src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const a = mix(src[0]! ^ Math.imul(src[1]!, 0x85ebca6b) ^ Math.imul(src[2]!, 0xc2b2ae35) ^ src[3]! ^ (sport << 7));
    const b = mix(dst[0]! ^ Math.imul(dst[1]!, 0x85ebca6b) ^ Math.imul(dst[2]!, 0xc2b2ae35) ^ dst[3]! ^ (dport << 7));
    return mix((a + b) | 0);
  }

  /** Id of the connection for this tuple, or -1. Sets lastDir. */
  find(hash: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const slots = this.slots;
    const tags = this.tags;
    const tag = hash >>> 14;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      // The tag rules out most other flows without reading their connection record (a cache miss each).
      if (tags[i] !== tag) continue;
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
    const mask = this.mask;
    const tag = hash >>> 14;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === 0) {
        this.slots[i] = c + 1;
        this.tags[i] = tag;
        if (++this.used * 2 > this.slots.length) this.rehash();
        return;
      }
      if (this.tags[i] === tag && sameTuple(s, v - 1, c)) {
        this.slots[i] = c + 1;
        return;
      }
    }
  }

  /** 0 when (src,sport) is side A of connection c, 1 when it is side B, -1 when c is another flow. */
  private matches(c: number, src: Uint32Array, dst: Uint32Array, sport: number, dport: number): number {
    const s = this.store;
    const p = c * STRIDE16 + H_PORT;
    const pa = s.u16[p]!;
    const pb = s.u16[p + 1]!;
    const w = s.u32;
    const a = c * STRIDE32 + W_ADDR;
    if (pa === sport && pb === dport && eqAddr(w, a, src) && eqAddr(w, a + 4, dst)) return 0;
    if (pa === dport && pb === sport && eqAddr(w, a, dst) && eqAddr(w, a + 4, src)) return 1;
    return -1;
  }

  private rehash(): void {
    const old = this.slots;
    const oldTags = this.tags;
    this.slots = new Int32Array(old.length * 2);
    this.tags = new Uint16Array(old.length * 2);
    this.mask = this.slots.length - 1;
    const s = this.store;
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v === 0) continue;
      const h = hashStored(s, v - 1);
      let j = h & this.mask;
      while (this.slots[j] !== 0) j = (j + 1) & this.mask;
      this.slots[j] = v;
      this.tags[j] = oldTags[i]!;
    }
  }
}

const tmpA = new Uint32Array(4);
const tmpB = new Uint32Array(4);

function hashStored(s: ConnectionStore, c: number): number {
  const a = c * STRIDE32 + W_ADDR;
  for (let k = 0; k < 4; k++) {
    tmpA[k] = s.u32[a + k]!;
    tmpB[k] = s.u32[a + 4 + k]!;
  }
  return FlowTable.hash(tmpA, tmpB, s.u16[c * STRIDE16 + H_PORT]!, s.u16[c * STRIDE16 + H_PORT + 1]!);
}

function eqAddr(store: Uint32Array, at: number, w: Uint32Array): boolean {
  return store[at] === w[0] && store[at + 1] === w[1] && store[at + 2] === w[2] && store[at + 3] === w[3];
}

/** Same 4-tuple in the same orientation. */
function sameTuple(s: ConnectionStore, x: number, y: number): boolean {
  const px = x * STRIDE16 + H_PORT;
  const py = y * STRIDE16 + H_PORT;
  if (s.u16[px] !== s.u16[py] || s.u16[px + 1] !== s.u16[py + 1]) return false;
  const ax = x * STRIDE32 + W_ADDR;
  const ay = y * STRIDE32 + W_ADDR;
  for (let k = 0; k < 8; k++) if (s.u32[ax + k] !== s.u32[ay + k]) return false;
  return true;
}

/** murmur3 finalizer: spreads low-entropy tuples (sequential ports) across the table. Kept to 30 bits (see hash). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}
