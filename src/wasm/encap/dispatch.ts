// AssemblyScript: the dispatch tables. An analyzer that found the next
// protocol's number asks here which analyzer reads it; a new encapsulation
// is one file and one line in one of these tables. L_NONE: not one we read.
import {
  DLT_RAW_12, DLT_RAW_14, LINKTYPE_ETHERNET, LINKTYPE_IPOIB, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NFLOG, LINKTYPE_NULL, LINKTYPE_PPP, LINKTYPE_PPP_ETHER, LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
} from '../../capture/link-types';
import {
  L_ETHERNET, L_GENEVE, L_GRE, L_GTPU, L_IP, L_IPIP4, L_IPIP6, L_IPOIB, L_IPV4, L_IPV6, L_LOOP, L_MPLS, L_NFLOG, L_NONE,
  L_NULL, L_PPP, L_PPPOE, L_SLL, L_SLL2, L_UDP, L_VXLAN,
} from './layer';

export function byLinkType(linkType: i32): i32 {
  switch (linkType) {
    case LINKTYPE_ETHERNET: return L_ETHERNET;
    case LINKTYPE_LINUX_SLL: return L_SLL;
    case LINKTYPE_LINUX_SLL2: return L_SLL2;
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14: return L_IP;
    case LINKTYPE_IPV4: return L_IPV4;
    case LINKTYPE_IPV6: return L_IPV6;
    case LINKTYPE_NULL: return L_NULL;
    case LINKTYPE_LOOP: return L_LOOP;
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: return L_PPP;
    case LINKTYPE_PPP_ETHER: return L_PPPOE;
    case LINKTYPE_NFLOG: return L_NFLOG;
    case LINKTYPE_IPOIB: return L_IPOIB;
    default: return L_NONE;
  }
}

export function byEtherType(type: i32): i32 {
  switch (type) {
    case 0x0800: return L_IPV4;
    case 0x86dd: return L_IPV6;
    case 0x8847: // MPLS unicast
    case 0x8848: return L_MPLS; // MPLS multicast
    case 0x8864: return L_PPPOE; // PPPoE session stage
    case 0x6558: return L_ETHERNET; // transparent Ethernet bridging (gretap, Geneve)
    default: return L_NONE;
  }
}

export function byIpProtocol(protocol: i32): i32 {
  switch (protocol) {
    case 4: return L_IPIP4;
    case 41: return L_IPIP6;
    case 17: return L_UDP;
    case 47: return L_GRE;
    default: return L_NONE;
  }
}

/** UDP tunnels by their port (either end: GTP-U uses 2152 on both, a VXLAN reply may come from it). */
export function byUdpPort(port: i32): i32 {
  switch (port) {
    case 4789: return L_VXLAN; // IANA
    case 8472: return L_VXLAN; // Linux's default when `ip link add … type vxlan` has no dstport
    case 6081: return L_GENEVE;
    case 2152: return L_GTPU;
    default: return L_NONE;
  }
}

/** PPP protocol field (PPP links, PPPoE sessions). */
export function byPppProtocol(protocol: i32): i32 {
  switch (protocol) {
    case 0x0021: return L_IPV4;
    case 0x0057: return L_IPV6;
    case 0x0281: return L_MPLS;
    default: return L_NONE;
  }
}
