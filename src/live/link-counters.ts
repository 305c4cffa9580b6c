import { readFileSync } from 'node:fs';

/**
 * Packets an interface has received and sent so far (its kernel counters in
 * /sys/class/net/IF/statistics), or null when there is no such interface
 * ('any' is not one). What a capture of that interface could at most have
 * delivered: the capture's filter passes some of them, never more.
 */
export function linkPackets(device: string, sysRoot = '/sys'): number | null {
  if (device === 'any' || device.includes('/')) return null;
  try {
    const dir = `${sysRoot}/class/net/${device}/statistics`;
    return Number(readFileSync(`${dir}/rx_packets`, 'utf8')) + Number(readFileSync(`${dir}/tx_packets`, 'utf8'));
  } catch {
    return null;
  }
}
