// AssemblyScript: the pass over the event log behind the idle-timeout tally
// (src/diagnose/idle-timeout.ts, src/diagnose/diagnose-capture.ts): for every
// idle period (IDLE_MARK_NS), did the connection come through it, or did a
// middlebox reset end it? Run after the capture pass, on the log in place.
import { E_CONN, E_DIR, E_FRAME, E_IDLE, E_KIND, E_STRIDE } from '../track/event-layout';
import { AWAITS_ANSWER_KINDS, IDLE_MARK_NS, K_RST } from '../track/kind-codes';

@inline function align8(x: usize): usize {
  return (x + 7) & ~7;
}

/** Byte offsets of the per-connection arrays idlePass() writes, for `n` connections, from the start of its output. */
export function idleArraysBytes(n: i32): usize {
  const u = <usize>n;
  return align8(u * 4) * 3 + align8(u) + u * 8 * 4;
}

// Layout of the output: pending event (i32, -1: none), its direction (u8), its idle ns (f64),
// survived count (u32) and longest (f64), died count (u32) and shortest (f64), first period (f64).
export function pendingAt(out: usize, n: i32): usize { return out; }
function pendingDirAt(out: usize, n: i32): usize { return out + align8(<usize>n * 4); }
export function pendingIdleAt(out: usize, n: i32): usize { return pendingDirAt(out, n) + align8(<usize>n); }
export function survivedCountAt(out: usize, n: i32): usize { return pendingIdleAt(out, n) + <usize>n * 8; }
export function survivedMaxAt(out: usize, n: i32): usize { return survivedCountAt(out, n) + align8(<usize>n * 4); }
export function diedCountAt(out: usize, n: i32): usize { return survivedMaxAt(out, n) + <usize>n * 8; }
export function diedMinAt(out: usize, n: i32): usize { return diedCountAt(out, n) + align8(<usize>n * 4); }
export function firstAt(out: usize, n: i32): usize { return diedMinAt(out, n) + <usize>n * 8; }

/**
 * One pass over `count` events at `events`, remembering per connection the
 * idle packet still waiting for the other side's answer. A RST that answers
 * it ends the silence as a death when its frame is among the `markCount`
 * ascending frames at `marks` (the RSTs attributed to a middlebox). Then the
 * `dropCount` silent drops at `drops` (u32 triples: connection, first frame
 * of the unanswered tail, the connection's first frame; in connection order):
 * a connection still waiting on that very packet died of its silence too.
 * Each connection's first period gets a key that orders periods the way this
 * pass meets them, whichever connections a pass is given (evicted ones are
 * tallied in an earlier pass): the frame that ended it, and for silences
 * counted at the end, 2^32 + the connection's first frame. Returns the
 * number of periods counted.
 */
export function idlePass(events: usize, count: i32, n: i32, marks: usize, markCount: i32, drops: usize, dropCount: i32, out: usize): f64 {
  const pending = pendingAt(out, n);
  const pendingDir = pendingDirAt(out, n);
  const pendingIdle = pendingIdleAt(out, n);
  const survivedCount = survivedCountAt(out, n);
  const survivedMax = survivedMaxAt(out, n);
  const diedCount = diedCountAt(out, n);
  const diedMin = diedMinAt(out, n);
  const first = firstAt(out, n);
  memory.fill(out, 0, idleArraysBytes(n));
  for (let c: usize = 0; c < <usize>n; c++) {
    store<i32>(pending + (c << 2), -1);
    store<f64>(survivedMax + (c << 3), -Infinity);
    store<f64>(diedMin + (c << 3), Infinity);
    store<f64>(first + (c << 3), -1);
  }
  let periods: f64 = 0;
  let m = 0;
  for (let i = 0; i < count; i++) {
    const e = events + <usize>i * E_STRIDE;
    const c = <usize>load<u32>(e + (<usize>E_CONN << 2));
    const dir = load<u8>(e + E_DIR);
    const k = <i32>load<u8>(e + E_KIND);
    const p = pending + (c << 2);
    if (load<i32>(p) >= 0 && load<u8>(pendingDir + c) != dir) {
      const frame = load<u32>(e + (<usize>E_FRAME << 2));
      const idle = load<f64>(pendingIdle + (c << 3));
      let counted = false;
      if (k != K_RST) {
        store<u32>(survivedCount + (c << 2), load<u32>(survivedCount + (c << 2)) + 1);
        if (idle > load<f64>(survivedMax + (c << 3))) store<f64>(survivedMax + (c << 3), idle);
        counted = true;
      } else {
        // The log is in frame order, and so are the marks: walk both together.
        while (m < markCount && load<u32>(marks + (<usize>m << 2)) < frame) m++;
        if (m < markCount && load<u32>(marks + (<usize>m << 2)) == frame) {
          died(diedCount, diedMin, c, idle);
          counted = true;
        }
      }
      if (counted) periods = counts(first, c, periods, <f64>frame);
      store<i32>(p, -1);
    }
    // Further packets from the same side in the same silence (probe retries) share the first one's fate.
    if (load<i32>(p) == -1 && ((1 << k) & AWAITS_ANSWER_KINDS) != 0) {
      const idle = load<f64>(e + (<usize>E_IDLE << 3));
      if (idle >= IDLE_MARK_NS) {
        store<i32>(p, i);
        store<u8>(pendingDir + c, dir);
        store<f64>(pendingIdle + (c << 3), idle);
      }
    }
  }
  // A drop whose tail does not start with the packet still waiting did not follow an idle period.
  for (let j = 0; j < dropCount; j++) {
    const drop = drops + <usize>j * 12;
    const c = <usize>load<u32>(drop);
    const waiting = load<i32>(pending + (c << 2));
    if (waiting >= 0 && load<u32>(events + <usize>waiting * E_STRIDE + (<usize>E_FRAME << 2)) == load<u32>(drop, 4)) {
      died(diedCount, diedMin, c, load<f64>(pendingIdle + (c << 3)));
      periods = counts(first, c, periods, 4294967296.0 + <f64>load<u32>(drop, 8));
    }
  }
  return periods;
}

@inline function died(diedCount: usize, diedMin: usize, c: usize, idle: f64): void {
  store<u32>(diedCount + (c << 2), load<u32>(diedCount + (c << 2)) + 1);
  if (idle < load<f64>(diedMin + (c << 3))) store<f64>(diedMin + (c << 3), idle);
}

/** Counts a period: connections (and so paths) are reported in the order of their first (its key). */
@inline function counts(first: usize, c: usize, periods: f64, key: f64): f64 {
  if (load<f64>(first + (c << 3)) < 0) store<f64>(first + (c << 3), key);
  return periods + 1;
}
