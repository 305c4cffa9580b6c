import * as status from './decode-status.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones (see tcp-tracker.ts).
const { NOT_IP, UNKNOWN_LINK, TRUNCATED } = status;

/** LINKTYPE_* values (tcpdump.org/linktypes.html) this decoder understands. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some platforms write it into files (12 on most BSDs/Linux live, 14 on OpenBSD). */
const DLT_RAW_12 = 12;
const DLT_RAW_14 = 14;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

export const NET_IPV4 = 4;
export const NET_IPV6 = 6;
/** Network layer "unknown": let the IP decoder look at the version nibble. */
export const NET_BY_VERSION = 0;

/**
 * Result of peeling the link layer: where the network header starts and what
 * it is. Reused; written by locateNetworkLayer.
 */
export class LinkResult {
  offset = 0;
  net = 0;
}

export function isKnownLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

function fromEtherType(type: number, out: LinkResult, offset: number): number {
  if (type === ETHERTYPE_IPV4) out.net = NET_IPV4;
  else if (type === ETHERTYPE_IPV6) out.net = NET_IPV6;
  else return NOT_IP;
  out.offset = offset;
  return 0;
}

/** BSD address families differ per OS for IPv6; all of these mean IPv6 in a DLT_NULL/LOOP header. */
function fromAddressFamily(af: number, out: LinkResult, offset: number): number {
  if (af === 2) out.net = NET_IPV4;
  else if (af === 24 || af === 28 || af === 30 || af === 10) out.net = NET_IPV6;
  else return NOT_IP;
  out.offset = offset;
  return 0;
}

/**
 * Find the network-layer header of a frame. Returns 0 on success, or a
 * decode status (UNKNOWN_LINK, NOT_IP, TRUNCATED).
 */
export function locateNetworkLayer(buf: Buffer, start: number, capLen: number, linkType: number, out: LinkResult): number {
  const end = start + capLen;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (capLen < 14) return TRUNCATED;
      let o = start + 12;
      let type = (buf[o]! << 8) | buf[o + 1]!;
      // 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag: skip any stack of tags.
      while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
        o += 4;
        if (o + 2 > end) return TRUNCATED;
        type = (buf[o]! << 8) | buf[o + 1]!;
      }
      return fromEtherType(type, out, o + 2);
    }
    case LINKTYPE_LINUX_SLL: {
      if (capLen < 16) return TRUNCATED;
      return fromEtherType((buf[start + 14]! << 8) | buf[start + 15]!, out, start + 16);
    }
    case LINKTYPE_LINUX_SLL2: {
      if (capLen < 20) return TRUNCATED;
      return fromEtherType((buf[start]! << 8) | buf[start + 1]!, out, start + 20);
    }
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      out.offset = start;
      out.net = NET_BY_VERSION;
      return 0;
    case LINKTYPE_IPV4:
      out.offset = start;
      out.net = NET_IPV4;
      return 0;
    case LINKTYPE_IPV6:
      out.offset = start;
      out.net = NET_IPV6;
      return 0;
    case LINKTYPE_NULL: {
      if (capLen < 4) return TRUNCATED;
      // The family is in the capturing host's byte order; a real family value
      // fits in the low 16 bits, so whichever order yields that is the right one.
      let af = buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16) | (buf[start + 3]! << 24);
      if (af >>> 16 !== 0) af = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
      return fromAddressFamily(af, out, start + 4);
    }
    case LINKTYPE_LOOP: {
      if (capLen < 4) return TRUNCATED;
      const af = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
      return fromAddressFamily(af, out, start + 4);
    }
    default:
      return UNKNOWN_LINK;
  }
}
