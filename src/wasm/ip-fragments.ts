// AssemblyScript: TCP in fragmented IP datagrams (a SYN with many options over a small-MTU tunnel, a
// middlebox that fragments), put back together as tshark does by default: the TCP packet is the whole
// datagram's, at the frame that completes it, with the datagram's full length. Only the first bytes of each
// datagram are kept (the TCP header, which may itself span fragments, in any order), and only FRAG_SLOTS datagrams wait
// at once: past that a datagram's first fragment pushes out the oldest, whose fragments stay counted as fragments.

const FRAG_SLOTS = 16;
/** The longest TCP header: all a datagram's payload that decoding needs. */
export const FRAG_HEAD = 60;

const F_ID = 0; // u32: IPv4 identification or IPv6 fragment id
const F_VERSION = 4; // u8: 4 or 6; 0 = free slot
const F_TOTAL = 8; // u32: the payload's whole length, once the last fragment came (0 before)
const F_COVERED = 12; // u32: payload bytes the fragments so far carried
const F_SRC = 16; // 16 bytes
const F_DST = 32; // 16 bytes
/** u64: bit k set when byte k of the payload is held (fragments may come in any order). */
const F_HELD = 48;
const F_HEAD = 56; // FRAG_HEAD bytes of payload
const SLOT_BYTES: usize = 120;

const slotsAt: usize = memory.data(<i32>SLOT_BYTES * FRAG_SLOTS, 16);
let victim: i32 = 0;

/** After a datagram completes: its payload length and how many of its first bytes are held. */
export let fragTotal: i32 = 0;
export let fragKept: i32 = 0;

function sameBytes(a: usize, b: usize, n: usize): bool {
  for (let k: usize = 0; k < n; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  return true;
}

/** The datagram's slot; a new one if free, or the oldest one's when `evict` (0 when neither). */
function slotFor(version: i32, id: u32, src: usize, dst: usize, n: usize, evict: bool): usize {
  let free: usize = 0;
  for (let k = 0; k < FRAG_SLOTS; k++) {
    const s = slotsAt + <usize>k * SLOT_BYTES;
    const v = <i32>load<u8>(s + F_VERSION);
    if (v == 0) {
      if (free == 0) free = s;
    } else if (v == version && load<u32>(s + F_ID) == id && sameBytes(s + F_SRC, src, n) && sameBytes(s + F_DST, dst, n)) {
      return s;
    }
  }
  let s = free;
  if (s == 0) {
    if (!evict) return 0;
    s = slotsAt + <usize>victim * SLOT_BYTES;
    victim = (victim + 1) % FRAG_SLOTS;
  }
  memory.fill(s, 0, SLOT_BYTES);
  store<u8>(s + F_VERSION, <u8>version);
  store<u32>(s + F_ID, id);
  memory.copy(s + F_SRC, src, n);
  memory.copy(s + F_DST, dst, n);
  return s;
}

/**
 * One fragment of datagram `id` from `src` to `dst` (`n` address bytes): its payload starts `offset` bytes
 * into the datagram's, is `len` bytes long, and its bytes are captured up to `capEnd`. Returns where the
 * datagram's first payload bytes are held once this fragment completes it (fragTotal, fragKept say how
 * much), else 0.
 */
export function addFragment(version: i32, id: u32, src: usize, dst: usize, n: usize, offset: u32, more: bool, at: usize, len: u32, capEnd: usize): usize {
  // Only a datagram's start may push out another's: a stray later fragment must not cost a whole one.
  const s = slotFor(version, id, src, dst, n, offset == 0);
  if (s == 0) return 0;
  if (offset < <u32>FRAG_HEAD) {
    const captured = capEnd > at ? <u32>(capEnd - at) : 0;
    let upTo = offset + (captured < len ? captured : len);
    if (upTo > <u32>FRAG_HEAD) upTo = <u32>FRAG_HEAD;
    if (upTo > offset) {
      memory.copy(s + F_HEAD + <usize>offset, at, <usize>(upTo - offset));
      const bits = ((<u64>1 << <u64>upTo) - 1) & ~((<u64>1 << <u64>offset) - 1);
      store<u64>(s + F_HELD, load<u64>(s + F_HELD) | bits);
    }
  }
  const covered = load<u32>(s + F_COVERED) + len;
  store<u32>(s + F_COVERED, covered);
  if (!more) store<u32>(s + F_TOTAL, offset + len);
  const total = load<u32>(s + F_TOTAL);
  // Complete when the last fragment came and the payload is covered (an overlap or a duplicate overshoots: not counted as whole).
  if (total == 0 || covered != total) return 0;
  store<u8>(s + F_VERSION, 0);
  fragTotal = <i32>total;
  // The bytes held from the start without a hole.
  fragKept = <i32>ctz<u64>(~load<u64>(s + F_HELD));
  return s + F_HEAD;
}
