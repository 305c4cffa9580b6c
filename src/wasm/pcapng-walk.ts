// AssemblyScript: pcapng packet blocks (EPB, SPB) read in WebAssembly, so that
// a pcapng capture costs what the same packets cost as classic pcap instead of
// one JavaScript call per frame. Only the plain case is read here: a block of
// any other type, or anything the JavaScript parser (src/capture/pcapng.ts)
// would report or treat specially, ends the walk before it, and that parser
// takes over from there with its own messages and byte offsets.
import {
  PCAPNG_EPB, PCAPNG_EPB_DROPCOUNT, PCAPNG_EPB_FIXED, PCAPNG_MAX_BLOCK, PCAPNG_MIN_BLOCK, PCAPNG_OPT_END, PCAPNG_SPB,
  PCAPNG_SPB_FIXED,
} from '../capture/pcapng-blocks';
import { byLinkType } from './encap/dispatch';
import { L_NONE } from './encap/layer';

/** Interfaces of a section the walk knows; packets of any later one are the JavaScript parser's. */
const MAX_INTERFACES: u32 = 256;
// One interface: its link type, SPB snaplen, timestamp unit (see capture/timestamp.ts) and whether to walk it.
const IF_LINK: usize = 0;
const IF_SNAPLEN: usize = 4;
const IF_DIV: usize = 8;
const IF_MUL: usize = 12;
const IF_OFFSET: usize = 16;
const IF_KIND: usize = 24;
const IF_SHIFT: usize = 25;
/** The tick count where the latest packet's second began, and that second (one division per second, not per packet). */
const IF_SECOND_TICKS: usize = 32;
const IF_SECOND: usize = 40;
const IF_BYTES: usize = 48;
/** IF_KIND of an interface whose packets the walk leaves alone. */
const NOT_WALKED: u8 = 0xff;
/** Above this a seconds count is not an exact double, and the JavaScript conversion rounds its own way. */
const EXACT_SECONDS: u64 = 1 << 53;

// The shared constants are i32 here; lengths are compared unsigned, as the file holds them.
const MIN_BLOCK = <u32>PCAPNG_MIN_BLOCK;
const MAX_BLOCK = <u32>PCAPNG_MAX_BLOCK;
const EPB_FIXED = <u32>PCAPNG_EPB_FIXED;
const SPB_FIXED = <u32>PCAPNG_SPB_FIXED;

const interfacesAt: usize = memory.data(<i32>(<usize>MAX_INTERFACES * IF_BYTES), 8);
let interfaceCount: u32 = 0;

/**
 * Describes interface `i` of the current section. `unitKind` 0 is ticks of
 * 1/div s (mul ns each), 1 is ticks of 2^-shift s; any other value, an
 * interface not yet used (the JavaScript parser lists link types in order of
 * first use) or a link type the decoder does not read (counted per link type
 * there) keeps its packets out of the walk.
 */
export function pcapngInterface(
  i: u32, linkType: i32, snaplen: u32, used: bool, unitKind: i32, div: u32, mul: u32, shift: i32, offsetSec: f64,
): void {
  if (i >= MAX_INTERFACES) return;
  const e = interfacesAt + <usize>i * IF_BYTES;
  const walked = used && (unitKind == 0 || unitKind == 1) && byLinkType(linkType) != L_NONE;
  store<i32>(e + IF_LINK, linkType);
  store<u32>(e + IF_SNAPLEN, snaplen);
  store<u32>(e + IF_DIV, div);
  store<u32>(e + IF_MUL, mul);
  store<f64>(e + IF_OFFSET, offsetSec);
  store<u8>(e + IF_KIND, walked ? <u8>unitKind : NOT_WALKED);
  store<u8>(e + IF_SHIFT, <u8>shift);
  // Ticks 0..div-1 are second 0: a true start for the cache.
  store<u64>(e + IF_SECOND_TICKS, 0);
  store<u64>(e + IF_SECOND, 0);
}

/** How many interfaces the section has (a new section starts at 0). */
export function pcapngInterfaces(n: u32): void {
  interfaceCount = n < MAX_INTERFACES ? n : MAX_INTERFACES;
}

// The packet nextPacketBlock() found.
export let blockPtr: usize = 0;
export let blockCapLen: i32 = 0;
export let blockWireLen: i32 = 0;
export let blockLinkType: i32 = 0;
export let blockSec: f64 = 0;
export let blockNsec: i32 = 0;
export let blockNext: usize = 0;

/** epb_dropcount totals, added in block order onto what the JavaScript parser had (so the double sums match). */
let drops: f64 = 0;
let dropsSeen = false;

export function pcapngDropsFrom(total: f64): void {
  drops = total;
  dropsSeen = false;
}
export function pcapngDrops(): f64 { return drops; }
export function pcapngDropsSeen(): bool { return dropsSeen; }

@inline function u32Of(p: usize, le: bool): u32 {
  const v = load<u32>(p);
  return le ? v : bswap<u32>(v);
}

@inline function u16Of(p: usize, le: bool): u32 {
  const v = <u32>load<u16>(p);
  return le ? v : <u32>bswap<u16>(<u16>v);
}

/** The tick count hi·2^32 + lo of interface `e` into blockSec/blockNsec; false when the JavaScript conversion must do it. */
@inline function setTime(e: usize, hi: u32, lo: u32): bool {
  const ticks = (<u64>hi << 32) | <u64>lo;
  let sec: u64;
  let nsec: u64;
  if (load<u8>(e + IF_KIND) == 0) {
    const div = <u64>load<u32>(e + IF_DIV);
    let from = load<u64>(e + IF_SECOND_TICKS);
    if (ticks - from < div) {
      sec = load<u64>(e + IF_SECOND);
    } else {
      sec = ticks / div;
      from = sec * div;
      store<u64>(e + IF_SECOND_TICKS, from);
      store<u64>(e + IF_SECOND, sec);
    }
    nsec = (ticks - from) * <u64>load<u32>(e + IF_MUL);
  } else {
    const n = <u64>load<u8>(e + IF_SHIFT);
    sec = ticks >> n;
    // Floored like tshark; the fraction is below 2^32, so the product fits.
    nsec = ((ticks & ((<u64>1 << n) - 1)) * 1000000000) >> n;
  }
  if (sec >= EXACT_SECONDS) return false;
  blockSec = <f64>sec + load<f64>(e + IF_OFFSET);
  blockNsec = <i32>nsec;
  return true;
}

/**
 * EPB options in [o, end): adds epb_dropcount to `drops`; false when an
 * option runs past the block (the JavaScript parser reports that).
 */
function packetOptions(o: usize, end: usize, le: bool): bool {
  let total = drops;
  let seen = false;
  while (o + 4 <= end) {
    const code = u16Of(o, le);
    const olen = <usize>u16Of(o + 2, le);
    if (code == PCAPNG_OPT_END) break;
    if (o + 4 + olen > end) return false;
    if (code == PCAPNG_EPB_DROPCOUNT && olen >= 8) {
      const hi = le ? u32Of(o + 8, true) : u32Of(o + 4, false);
      const lo = le ? u32Of(o + 4, true) : u32Of(o + 8, false);
      total += <f64>hi * 4294967296.0 + <f64>lo;
      seen = true;
    }
    o += 4 + ((olen + 3) & ~3);
  }
  drops = total;
  if (seen) dropsSeen = true;
  return true;
}

/** The walked interface `ifId`'s entry, or 0. */
@inline function walkedInterface(ifId: u32): usize {
  if (ifId >= interfaceCount) return 0;
  const e = interfacesAt + <usize>ifId * IF_BYTES;
  return load<u8>(e + IF_KIND) == NOT_WALKED ? 0 : e;
}

/**
 * Reads the packet block at `pos` into the block* globals and returns true,
 * or returns false (the drop count untouched) when the block is not one for the
 * walk: another type, cut by `end`, a bad length, an interface it does not
 * walk, a timestamp it cannot convert exactly, a bad option. Inlined: it
 * runs once per frame.
 */
@inline export function nextPacketBlock(pos: usize, end: usize, le: bool): bool {
  if (end - pos < <usize>MIN_BLOCK) return false;
  const type = u32Of(pos, le);
  const len = u32Of(pos + 4, le);
  if (len < MIN_BLOCK || (len & 3) != 0 || len > MAX_BLOCK || <usize>len > end - pos) return false;
  if (u32Of(pos + <usize>len - 4, le) != len) return false;
  if (type == PCAPNG_EPB) {
    if (len < EPB_FIXED) return false;
    const e = walkedInterface(u32Of(pos + 8, le));
    if (e == 0) return false;
    const capLen = u32Of(pos + 20, le);
    if (capLen > len - EPB_FIXED) return false;
    if (!setTime(e, u32Of(pos + 12, le), u32Of(pos + 16, le))) return false;
    const optStart: u32 = 28 + ((capLen + 3) & ~3);
    if (optStart < len - 4 && !packetOptions(pos + <usize>optStart, pos + <usize>len - 4, le)) return false;
    blockPtr = pos + 28;
    blockCapLen = <i32>capLen;
    blockWireLen = <i32>u32Of(pos + 24, le);
    blockLinkType = load<i32>(e + IF_LINK);
  } else if (type == PCAPNG_SPB) {
    if (len < SPB_FIXED) return false;
    const e = walkedInterface(0);
    if (e == 0) return false;
    const wireLen = u32Of(pos + 8, le);
    let capLen = len - SPB_FIXED;
    if (wireLen < capLen) capLen = wireLen;
    const snaplen = load<u32>(e + IF_SNAPLEN);
    if (snaplen != 0 && capLen > snaplen) capLen = snaplen;
    // No timestamp in an SPB: the epoch, as the JavaScript parser reports it.
    blockSec = 0;
    blockNsec = 0;
    blockPtr = pos + 12;
    blockCapLen = <i32>capLen;
    blockWireLen = <i32>wireLen;
    blockLinkType = load<i32>(e + IF_LINK);
  } else {
    return false;
  }
  blockNext = pos + <usize>len;
  return true;
}
