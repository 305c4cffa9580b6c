// AssemblyScript: maps a TCP 4-tuple (either direction) to the connection that owns it.
// Open addressing over 32-bit slots: connection id + 1 in the low 24 bits
// (0 = empty) and 8 more bits of the hash in the top byte, so that the slot
// alone rules out most other flows without reading their connection record
// (a cache miss each), in 4 bytes a slot rather than 6 for a separate tag.
import { H_PORT, H_STATE, RECORD_BYTES, ST_IPV6, W_ADDR } from '../track/record-layout';
import { P_DPORT, P_DST, P_IPVER, P_SPORT, P_SRC } from '../decode/decoded-layout';
import { entryOf } from './entry-pool';

/** The pool of IPv6 address entries (v6-layout.ts), which the tracker sets up. */
export let v6Pool: usize = 0;
export function flowsV6Pool(p: usize): void {
  v6Pool = p;
}

/** The slots, in a region that the tracker places and moves. */
export let slotsAt: usize = 0;
export let slotCount: i32 = 0;
let mask: i32 = 0;
let used: i32 = 0;
/** Direction of the packet relative to the connection found by the last lookup (0 = A→B). */
export let lastDir: i32 = 0;

/** Connection ids must fit a slot's 24 bits (4 GiB of memory holds at most ~17 M records anyway). */
export const MAX_CONNECTIONS: i32 = 0xfffffe;
const ID_MASK: u32 = 0xffffff;

export function flowBytes(slots: i32): usize {
  return <usize>slots << 2;
}

/** The top 8 of the hash's 30 bits, in a slot's top byte: apart from the index bits up to 2^22 slots. */
@inline function tagOf(hash: u32): u32 {
  return (hash << 2) & ~ID_MASK;
}

/** Use a zeroed region of flowBytes(slots) at `at`. */
export function flowsInit(at: usize, slots: i32): void {
  slotsAt = at;
  slotCount = slots;
  mask = slots - 1;
  used = 0;
}

/** The table moved (its bytes copied as they are) to `at`. */
export function flowsMoved(at: usize): void {
  slotsAt = at;
}

/** murmur3 finalizer: spreads low-entropy tuples (sequential ports) across the table. */
@inline function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

/** Hash of one endpoint: the 16-byte address at `a` and its port (also numbers servers, see groups.ts). */
@inline export function side(a: usize, port: u32): u32 {
  return mix(load<u32>(a) ^ (load<u32>(a, 4) * 0x85ebca6b) ^ (load<u32>(a, 8) * 0xc2b2ae35) ^ load<u32>(a, 12) ^ (port << 7));
}

/** Symmetric hash of the decoded packet's tuple: the same for both directions. */
export function hashPacket(p: usize): u32 {
  return mix(side(p + P_SRC, <u32>load<u16>(p + P_SPORT)) + side(p + P_DST, <u32>load<u16>(p + P_DPORT)));
}

@inline export function isIpv6(r: usize): bool {
  return (<i32>load<u16>(r + H_STATE * 2) & ST_IPV6) != 0;
}

/** Side s's (0 = A, 1 = B) 16-byte address in IPv6 record r's address entry. */
@inline export function v6Addr(r: usize, s: usize): usize {
  return entryOf(v6Pool, r) + (s << 4);
}

/** side() of record r's side s, equal to side() of the 16 bytes the decoder writes for that address. */
export function sideOf(r: usize, s: usize): u32 {
  const port = <u32>load<u16>(r + H_PORT * 2 + (s << 1));
  if (isIpv6(r)) return side(v6Addr(r, s), port);
  // The other three words of an IPv4 address are zeroes: their terms drop out.
  return mix(load<u32>(r + W_ADDR * 4 + (s << 2)) ^ (port << 7));
}

/** Sides s of records x and y, of one family, have the same address. */
@inline export function sameAddr(x: usize, y: usize, s: usize): bool {
  if (isIpv6(x)) return eqAddr(v6Addr(x, s), v6Addr(y, s));
  return load<u32>(x + W_ADDR * 4 + (s << 2)) == load<u32>(y + W_ADDR * 4 + (s << 2));
}

function hashStored(records: usize, c: i32): u32 {
  const r = records + <usize>c * RECORD_BYTES;
  return mix(sideOf(r, 0) + sideOf(r, 1));
}

@inline export function eqAddr(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** 0 when the packet's source is side A of record r, 1 when it is side B, -1 when r is another flow. */
function matches(r: usize, p: usize): i32 {
  const pa = <u32>load<u16>(r + H_PORT * 2);
  const pb = <u32>load<u16>(r + H_PORT * 2 + 2);
  const sport = <u32>load<u16>(p + P_SPORT);
  const dport = <u32>load<u16>(p + P_DPORT);
  const v6 = load<u8>(p + P_IPVER) == 6;
  if (v6 != isIpv6(r)) return -1;
  if (!v6) {
    // IPv4: word 0 of the decoder's 16 bytes, the record's own word.
    const wa = load<u32>(r + W_ADDR * 4);
    const wb = load<u32>(r + W_ADDR * 4 + 4);
    const src = load<u32>(p + P_SRC);
    const dst = load<u32>(p + P_DST);
    if (pa == sport && pb == dport && wa == src && wb == dst) return 0;
    if (pa == dport && pb == sport && wa == dst && wb == src) return 1;
    return -1;
  }
  const a = v6Addr(r, 0);
  const b = a + 16;
  if (pa == sport && pb == dport && eqAddr(a, p + P_SRC) && eqAddr(b, p + P_DST)) return 0;
  if (pa == dport && pb == sport && eqAddr(a, p + P_DST) && eqAddr(b, p + P_SRC)) return 1;
  return -1;
}

/** Id of the connection for the decoded packet's tuple, or -1. Sets lastDir. */
export function flowFind(hash: u32, p: usize, records: usize): i32 {
  const tag = tagOf(hash);
  for (let i = <i32>hash & mask; ; i = (i + 1) & mask) {
    const v = load<u32>(slotsAt + (<usize>i << 2));
    if (v == 0) return -1;
    if ((v & ~ID_MASK) != tag) continue;
    const c = <i32>(v & ID_MASK) - 1;
    const dir = matches(records + <usize>c * RECORD_BYTES, p);
    if (dir >= 0) {
      lastDir = dir;
      return c;
    }
  }
  return -1; // not reached: the table is never full
}

/** Same 4-tuple in the same orientation. */
function sameTuple(records: usize, x: i32, y: i32): bool {
  const rx = records + <usize>x * RECORD_BYTES;
  const ry = records + <usize>y * RECORD_BYTES;
  if (load<u32>(rx + H_PORT * 2) != load<u32>(ry + H_PORT * 2) || isIpv6(rx) != isIpv6(ry)) return false;
  return sameAddr(rx, ry, 0) && sameAddr(rx, ry, 1);
}

/** More than half full: time to rehash into twice the slots. */
export function flowsFull(): bool {
  return used * 2 > slotCount;
}

/** Point the tuple at connection `c` (inserting, or replacing an older owner after port reuse). */
export function flowAssign(hash: u32, c: i32, records: usize): void {
  const tag = tagOf(hash);
  const slot = tag | <u32>(c + 1);
  for (let i = <i32>hash & mask; ; i = (i + 1) & mask) {
    const at = slotsAt + (<usize>i << 2);
    const v = load<u32>(at);
    if (v == 0) {
      store<u32>(at, slot);
      used++;
      return;
    }
    if ((v & ~ID_MASK) == tag && sameTuple(records, <i32>(v & ID_MASK) - 1, c)) {
      store<u32>(at, slot);
      return;
    }
  }
}

/** Rebuild into a zeroed region of flowBytes(slots) at `at` (the old table stays readable meanwhile). */
export function flowsRehash(at: usize, slots: i32, records: usize): void {
  const oldSlots = slotsAt;
  const oldCount = slotCount;
  const m = slots - 1;
  for (let i = 0; i < oldCount; i++) {
    const v = load<u32>(oldSlots + (<usize>i << 2));
    if (v == 0) continue;
    let j = <i32>hashStored(records, <i32>(v & ID_MASK) - 1) & m;
    while (load<u32>(at + (<usize>j << 2)) != 0) j = (j + 1) & m;
    store<u32>(at + (<usize>j << 2), v);
  }
  slotsAt = at;
  slotCount = slots;
  mask = m;
}

/** Empty the table and point every tuple at its latest record again (after records were dropped and moved down). */
export function flowsRebuild(records: usize, n: i32): void {
  memory.fill(slotsAt, 0, flowBytes(slotCount));
  used = 0;
  // In record order, so that a reused tuple ends up owned by its newest connection, as when tracked.
  for (let c = 0; c < n; c++) flowAssign(hashStored(records, c), c, records);
}
