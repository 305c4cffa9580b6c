/**
 * Live capture through cap (libpcap). Everything cap-specific lives here:
 * loading the native module, picking the interface, opening it, mapping
 * link types, and turning libpcap's error strings into one line that says
 * how to fix the problem. See ../shared/reference/node-ecosystem-pitfalls.md
 * for why it is shaped this way (no timestamps, main thread only, Buffer
 * must stay referenced, warnings on stderr).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Cap, CapDevice } from 'cap';
import { EXIT, UserError } from '../model/errors.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW } from './link-types.js';

export interface CapModule {
  Cap: new () => Cap;
  deviceList(): CapDevice[];
}

/**
 * The fix for a capture that is not allowed; `command` is the command the
 * user ran. Never setcap on the system's node: every Node script on the host
 * would get raw sockets. The README gives two safe recipes.
 */
export function privilegeFix(command = 'kad live'): string {
  return `${command} needs root or CAP_NET_RAW to capture: run as root, or give the capability to a copy of node that only kad runs, or to a systemd unit (README: "Capture without root")`;
}
export const LIBPCAP_FIX = 'install libpcap: apt-get install libpcap0.8 libpcap-dev, then npm rebuild cap';

/** The one-line error for a cap module that would not load (no libpcap, not built). */
export function capLoadError(err: unknown): UserError {
  const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return new UserError(`cannot load the packet capture module cap (${msg}): ${LIBPCAP_FIX}`, EXIT.unavailable);
}

let loaded: CapModule | null = null;

/** cap is CommonJS with a native addon; require() keeps a dlopen failure catchable here. */
export function loadCap(): CapModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('cap') as CapModule;
  } catch (err) {
    throw capLoadError(err);
  }
  return loaded;
}

/** Maps cap's link type strings to LINKTYPE_* numbers; null when the decoder cannot use it. */
export function linkTypeNumber(name: string): number | null {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE_ETHERNET;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE_LINUX_SLL;
    case 'RAW':
      return LINKTYPE_RAW;
    case 'NULL':
      return LINKTYPE_NULL;
    case 'IEEE802_11_RADIO':
      return 127;
    default: {
      // libpcap DLT numbers equal LINKTYPE numbers for everything above 104 (and for the ones above).
      const m = /^Unknown linktype (\d+)$/.exec(name);
      return m ? Number(m[1]) : null;
    }
  }
}

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

/**
 * The interface of the default route: IPv4 from /proc/net/route, else IPv6
 * from /proc/net/ipv6_route (skipping the "unreachable" default on lo).
 * Lowest metric wins, as in the kernel. Null when there is no default route.
 */
export function defaultRouteInterface(procRoot = '/proc'): string | null {
  const best = (rows: Array<{ dev: string; metric: number }>): string | null =>
    rows.length ? rows.reduce((a, b) => (b.metric < a.metric ? b : a)).dev : null;
  const v4 = readText(`${procRoot}/net/route`);
  if (v4 !== null) {
    const rows = v4
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3]!, 16) & RTF_UP) !== 0)
      .map((f) => ({ dev: f[0]!, metric: Number(f[6]) }));
    const dev = best(rows);
    if (dev) return dev;
  }
  const v6 = readText(`${procRoot}/net/ipv6_route`);
  if (v6 === null) return null;
  const rows = v6
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === '00')
    .filter((f) => {
      const flags = parseInt(f[8]!, 16);
      return (flags & RTF_UP) !== 0 && (flags & RTF_REJECT) === 0 && f[9] !== 'lo';
    })
    .map((f) => ({ dev: f[9]!, metric: parseInt(f[5]!, 16) }));
  return best(rows);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export interface LiveCaptureOptions {
  /** Interface name, or 'any'. */
  device: string;
  /** BPF filter expression (pcap-filter(7)); '' captures everything. */
  filter: string;
  /** Bytes kept per packet: the size of the Buffer cap copies into. */
  snaplen: number;
  /** Kernel capture ring size in bytes (pcap_set_buffer_size). */
  bufferSize: number;
  /** Named in error messages ("kad live", "kad watch"). */
  command?: string;
}

export interface LiveCapture {
  readonly device: string;
  readonly linkType: number;
  readonly linkName: string;
  /** Where cap copies each packet; valid only inside the 'packet' handler. */
  readonly buffer: Buffer;
  readonly cap: Cap;
}

/**
 * cap's native side holds only a raw pointer into the capture Buffer, so a
 * collected Buffer means heap corruption. Every open capture's Buffer is
 * pinned here until well after close() (a close from inside a packet
 * handler only takes effect once libpcap's dispatch loop returns).
 */
const pinned = new Set<Buffer>();
/**
 * A Cap whose open() failed half way has a pcap handle but no poll handle;
 * its destructor would stop that uninitialised poll handle. Never let it be collected.
 */
const failed: Cap[] = [];

export function openLiveCapture(opts: LiveCaptureOptions, mod: CapModule = loadCap()): LiveCapture {
  let devices: CapDevice[] | null = null;
  try {
    devices = mod.deviceList();
  } catch {
    // Listing needs no privilege on Linux; if it fails anyway, let open() report the real problem.
  }
  if (devices && opts.device !== 'any' && !devices.some((d) => d.name === opts.device)) {
    throw unknownInterface(opts.device, devices);
  }
  const cap = new mod.Cap();
  const buffer = Buffer.alloc(opts.snaplen);
  pinned.add(buffer);
  let linkName: string;
  try {
    linkName = cap.open(opts.device, opts.filter, opts.bufferSize, buffer);
  } catch (err) {
    failed.push(cap);
    throw openError(err, opts, devices);
  }
  const linkType = linkTypeNumber(linkName);
  if (linkType === null) {
    closeLiveCapture({ device: opts.device, linkType: -1, linkName, buffer, cap });
    throw new UserError(
      `cannot capture on ${opts.device}: unsupported link type "${linkName}"; pick another interface with -i, or use 'any'`,
    );
  }
  return { device: opts.device, linkType, linkName, buffer, cap };
}

export function closeLiveCapture(c: LiveCapture): void {
  c.cap.close();
  c.cap.removeAllListeners('packet');
  // Outlive the current libpcap dispatch loop, which may still write into the Buffer.
  setTimeout(() => pinned.delete(c.buffer), 1000).unref();
}

function interfaceNames(devices: CapDevice[] | null): string {
  if (!devices || devices.length === 0) return 'none found';
  return [...new Set(['any', ...devices.map((d) => d.name)])].join(', ');
}

function unknownInterface(device: string, devices: CapDevice[] | null): UserError {
  return new UserError(`no such interface "${device}"; available: ${interfaceNames(devices)}`);
}

/** libpcap's error strings, mapped to what the user should do about them. */
export function openError(err: unknown, opts: LiveCaptureOptions, devices: CapDevice[] | null): UserError {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) return new UserError(privilegeFix(opts.command), EXIT.noPermission);
  if (/no such device|doesn't exist|does not exist/i.test(msg)) return unknownInterface(opts.device, devices);
  if (/not up/i.test(msg))
    return new UserError(`interface ${opts.device} is down: bring it up (ip link set ${opts.device} up) or pick another with -i`);
  if (/filter|syntax error|parse|illegal|unknown (host|port|protocol)/i.test(msg)) {
    return new UserError(
      `bad capture filter "${opts.filter}": ${msg.replace(/^can't parse filter expression: /, '')} (syntax: man pcap-filter)`,
    );
  }
  return new UserError(`cannot capture on ${opts.device}: ${msg}`);
}
