// AssemblyScript: what one analyzer hands the next (Zeek's packet-analysis
// model): each analyzer reads its own header at `p`, then either hands off
// (handOff: which analyzer next, where its header starts and where the inner
// packet ends) or returns why the frame is not usable TCP (a decode status).

/** Analyzer kinds; the dispatch tables in dispatch.ts map wire values to these. */
export const L_NONE = 0;
export const L_ETHERNET = 1;
/** IP, the version read from the first nibble (RAW link types, GTP-U, MPLS, NFLOG payloads). */
export const L_IP = 2;
export const L_IPV4 = 3;
export const L_IPV6 = 4;
export const L_SLL = 5;
export const L_SLL2 = 6;
export const L_NULL = 7;
export const L_LOOP = 8;
export const L_UDP = 9;
export const L_VXLAN = 10;
export const L_GENEVE = 11;
export const L_GRE = 12;
export const L_ERSPAN2 = 13;
export const L_ERSPAN3 = 14;
export const L_MPLS = 15;
export const L_PPPOE = 16;
/** PPP with an optional HDLC address/control prefix (LINKTYPE_PPP, PPP_HDLC). */
export const L_PPP = 17;
export const L_GTPU = 18;
/** IP protocol 4 / 41: the outer IP header is followed by an IPv4 / IPv6 one. */
export const L_IPIP4 = 19;
export const L_IPIP6 = 20;
export const L_NFLOG = 21;
export const L_IPOIB = 22;

export const CONTINUE = -1;

export let nextKind: i32 = L_NONE;
export let nextAt: usize = 0;
export let nextEnd: usize = 0;

/** The analyzer `kind` takes over at `at`; the inner packet ends at `end`. */
@inline export function handOff(kind: i32, at: usize, end: usize): i32 {
  nextKind = kind;
  nextAt = at;
  nextEnd = end;
  return CONTINUE;
}

/** The IP header that carried the current layer (the outer endpoints of a tunnel), 0 when none. */
export let carrierIpAt: usize = 0;
export let carrierIpVersion: i32 = 0;

@inline export function setCarrierIp(at: usize, version: i32): void {
  carrierIpAt = at;
  carrierIpVersion = version;
}

@inline export function be16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p + 1);
}

@inline export function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}
