// AssemblyScript: the tunnel the current frame's TCP came through. The
// outermost one names it (the mirror session or link the capture was taken
// on); the IP header that carried it gives the outer endpoints.
import { carrierIpAt, carrierIpVersion } from './layer';

export let tunnelKind: i32 = 0;
export let tunnelId: u32 = 0;
export let tunnelHasId: bool = false;
export let tunnelIpAt: usize = 0;
export let tunnelIpVersion: i32 = 0;
export let tunnelPrefixAt: usize = 0;
export let tunnelPrefixLen: i32 = 0;

@inline export function clearTunnel(): void {
  tunnelKind = 0;
}

export function noteTunnel(kind: i32, id: u32, hasId: bool): void {
  if (tunnelKind != 0) return;
  tunnelKind = kind;
  tunnelId = id;
  tunnelHasId = hasId;
  tunnelIpAt = carrierIpAt;
  tunnelIpVersion = carrierIpVersion;
  tunnelPrefixLen = 0;
}

/** NFLOG's log prefix, for the tunnel just noted. */
export function noteTunnelPrefix(at: usize, len: i32): void {
  tunnelPrefixAt = at;
  tunnelPrefixLen = len;
}
