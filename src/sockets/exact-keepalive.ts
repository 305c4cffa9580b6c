import { UserError } from '../model/errors.js';
import type { KeepaliveOptions } from './keepalive-options.js';
import type { PathTimeout, SocketInfo } from './socket-types.js';
import { ProcessGoneError, socketOptions } from './sockopt-helper.js';

/**
 * Reads the exact keepalive options of these sockets through duplicates of
 * their owners' descriptors (fillOwners first), in place: one kad-sockopt
 * run per owning process. Returns why they could not be read (no root, no
 * helper, an old kernel), or null. Meant for the few sockets on screen or
 * at risk, like fillOwners.
 */
export function fillKeepaliveOptions(sockets: readonly SocketInfo[]): string | null {
  const byPid = new Map<number, SocketInfo[]>();
  for (const s of sockets) {
    if (s.pid === null || s.ownerFd === undefined || s.keepaliveOptions !== undefined) continue;
    let list = byPid.get(s.pid);
    if (!list) byPid.set(s.pid, (list = []));
    list.push(s);
  }
  for (const [pid, list] of byPid) {
    let results;
    try {
      results = socketOptions(
        pid,
        list.map((s) => s.ownerFd!),
      );
    } catch (err) {
      // A process that exited meanwhile is no reason to stop reading the others.
      if (err instanceof ProcessGoneError) continue;
      if (err instanceof UserError) return err.message;
      throw err;
    }
    const byFd = new Map(results.map((r) => [r.fd, r]));
    for (const s of list) {
      const r = byFd.get(s.ownerFd!);
      if (r?.kind === 'ok') s.keepaliveOptions = r.now;
    }
  }
  return null;
}

/**
 * The socket's own settings against what the path allows, in words: "first
 * probe after 7200 s of silence; the path forgets flows after ≤ 350 s".
 */
export function keepaliveAgainstPath(o: KeepaliveOptions, timeout: PathTimeout | null): string {
  const limit = timeout?.highS ?? timeout?.timeoutS ?? null;
  const forgets = limit === null ? '' : `; the path forgets flows after ≤ ${limit} s`;
  if (!o.keepalive) return `keepalive is off on this socket (SO_KEEPALIVE 0): nothing refreshes the path while it is idle${forgets}`;
  const late = limit !== null && o.idleS >= limit ? ': too late' : '';
  return `this socket's first probe comes after ${o.idleS} s of silence (then every ${o.intervalS} s, ${o.count} probes)${forgets}${late}`;
}
