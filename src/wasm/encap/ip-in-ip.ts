// AssemblyScript: IP-in-IP (IP protocol 4: IPv4 inside; 41: IPv6 inside), Calico's IPIP mode, 6in4 and 4in6
// VPNs. No header of its own: the inner IP header follows the outer one.
import { T_IPIP } from '../../track/decode-tally-layout';
import { handOff, L_IPV4, L_IPV6 } from './layer';
import { noteTunnel } from './tunnel-note';

export function analyzeIpip4(p: usize, end: usize): i32 {
  noteTunnel(T_IPIP, 0, false);
  return handOff(L_IPV4, p, end);
}

export function analyzeIpip6(p: usize, end: usize): i32 {
  noteTunnel(T_IPIP, 0, false);
  return handOff(L_IPV6, p, end);
}
