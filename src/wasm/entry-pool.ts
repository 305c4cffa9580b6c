// AssemblyScript: pools of fixed-size entries that some connection records
// point at (their cold fields, their IPv6 addresses), each in a region above
// the flow table that the tracker places, grows and moves. A record names
// its entry + 1 in one of its u32 fields (0 = none). Entries of dropped
// connections are linked into a free list and handed out again: a region
// stops growing at the most entries ever held at once.
//
// A pool is a descriptor of u32s in memory the tracker gives it, so that one
// set of functions serves every pool (the stub runtime has no objects).
const AT = 0;
const CAPACITY = 4;
/** Entries handed out so far, free ones included: the rest of the region still reads as zeroes. */
const USED = 8;
/** First free entry + 1 (0 = none); a free entry's first word links the next. */
const FREE = 12;
/** Entries held by records. */
const LIVE = 16;
const ENTRY_BYTES = 20;
/** Byte offset in a record of the u32 that names its entry. */
const FIELD = 24;
export const POOL_BYTES: usize = 32;

/** A pool of `capacity` zeroed entries at `at` (never none, so that two regions never start at one address). */
export function poolInit(p: usize, at: usize, entryBytes: usize, field: usize, capacity: i32): void {
  memory.fill(p, 0, POOL_BYTES);
  store<u32>(p + AT, <u32>at);
  store<u32>(p + CAPACITY, <u32>capacity);
  store<u32>(p + ENTRY_BYTES, <u32>entryBytes);
  store<u32>(p + FIELD, <u32>field);
}

@inline export function poolAt(p: usize): usize {
  return <usize>load<u32>(p + AT);
}
@inline export function poolCapacity(p: usize): i32 {
  return <i32>load<u32>(p + CAPACITY);
}
@inline export function poolLive(p: usize): i32 {
  return <i32>load<u32>(p + LIVE);
}
@inline export function poolEnd(p: usize): usize {
  return poolAt(p) + <usize>load<u32>(p + CAPACITY) * <usize>load<u32>(p + ENTRY_BYTES);
}

/** The region moved up by `by` bytes (its bytes copied as they are). */
export function poolMoved(p: usize, by: usize): void {
  store<u32>(p + AT, load<u32>(p + AT) + <u32>by);
}

/** No entry can be handed out before the region grows. */
@inline export function poolFull(p: usize): bool {
  return load<u32>(p + FREE) == 0 && load<u32>(p + USED) == load<u32>(p + CAPACITY);
}

/** Bytes the region takes to grow: it doubles. */
export function poolGrowth(p: usize): usize {
  return <usize>load<u32>(p + CAPACITY) * <usize>load<u32>(p + ENTRY_BYTES);
}

/** The region grew by poolGrowth(p) zeroed bytes. */
export function poolGrown(p: usize): void {
  store<u32>(p + CAPACITY, load<u32>(p + CAPACITY) * 2);
}

/** Record r's entry, or 0 when it has none. */
@inline export function entryOf(p: usize, r: usize): usize {
  const k = load<u32>(r + <usize>load<u32>(p + FIELD));
  return k == 0 ? 0 : poolAt(p) + <usize>(k - 1) * <usize>load<u32>(p + ENTRY_BYTES);
}

/** Gives record r a zeroed entry (the region must have room: see poolFull) and returns it. */
export function entryTake(p: usize, r: usize): usize {
  const size = <usize>load<u32>(p + ENTRY_BYTES);
  let k = load<u32>(p + FREE);
  if (k != 0) {
    const e = poolAt(p) + <usize>(k - 1) * size;
    store<u32>(p + FREE, load<u32>(e));
    memory.fill(e, 0, size);
  } else {
    k = load<u32>(p + USED) + 1;
    store<u32>(p + USED, k);
  }
  store<u32>(p + LIVE, load<u32>(p + LIVE) + 1);
  store<u32>(r + <usize>load<u32>(p + FIELD), k);
  return poolAt(p) + <usize>(k - 1) * size;
}

/** Record r is being dropped: its entry, if any, goes to the free list. */
export function entryRelease(p: usize, r: usize): void {
  const k = load<u32>(r + <usize>load<u32>(p + FIELD));
  if (k == 0) return;
  store<u32>(poolAt(p) + <usize>(k - 1) * <usize>load<u32>(p + ENTRY_BYTES), load<u32>(p + FREE));
  store<u32>(p + FREE, k);
  store<u32>(p + LIVE, load<u32>(p + LIVE) - 1);
}
