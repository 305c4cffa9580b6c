/** Text form of an address held as big-endian 32-bit words (IPv4 in word 0). */
export function addressText(words: Uint32Array, at: number, ipv6: boolean): string {
  if (!ipv6) {
    const w = words[at]!;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  }
  const groups: number[] = [];
  for (let k = 0; k < 4; k++) {
    const w = words[at + k]!;
    groups.push(w >>> 16, w & 0xffff);
  }
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parse an IPv4/IPv6 address into 4 big-endian words; null when it is not an address. */
export function parseAddress(text: string): { words: Uint32Array; ipv6: boolean } | null {
  const words = new Uint32Array(4);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    words[0] = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    return { words, ipv6: false };
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || !text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail].map((g) => parseInt(g, 16));
  if (groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  for (let k = 0; k < 4; k++) words[k] = ((groups[k * 2]! << 16) | groups[k * 2 + 1]!) >>> 0;
  return { words, ipv6: true };
}

/**
 * "addr:port", IPv6 in brackets ("[2001:db8::1]:443"): the one spelling of an
 * endpoint, for display and as the key of a path (IdleTimeoutInference.path
 * is the server's endpointText). Without brackets an IPv6 address and its
 * port cannot be told apart, so the key and the text are kept one function.
 */
export function endpointText(e: { addr: string; port: number }): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}
