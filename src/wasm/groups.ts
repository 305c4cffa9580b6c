// AssemblyScript: groupings that diagnosis needs over every event or every
// connection, run after the capture pass on its results in place. In
// JavaScript these loops ran cold, once, over ~10^6 items: the interpreter's
// worst case.
import { E_CONN, E_STRIDE } from '../track/event-layout';
import { H_PORT, RECORD_BYTES } from '../track/record-layout';
import { isIpv6, sameAddr, sideOf } from './flow-table';

/** Bytes groupEvents() writes for `n` connections and `count` events. */
export function eventGroupsBytes(n: i32, count: i32): usize {
  return (<usize>n + 1 + <usize>count) << 2;
}

/**
 * Event indexes by connection (a counting sort), written at `out`: n + 1
 * starts (i32), then the `count` indexes; connection c's events, in capture
 * order, are order[start[c] .. start[c + 1]).
 */
export function groupEvents(events: usize, count: i32, n: i32, out: usize): void {
  const start = out;
  const order = out + ((<usize>n + 1) << 2);
  memory.fill(start, 0, (<usize>n + 1) << 2);
  for (let i = 0; i < count; i++) {
    const at = start + ((<usize>load<u32>(events + <usize>i * E_STRIDE + (<usize>E_CONN << 2)) + 1) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  for (let c = 0; c < n; c++) {
    const at = start + ((<usize>c + 1) << 2);
    store<i32>(at, load<i32>(at) + load<i32>(at - 4));
  }
  // Fill through start[c + 1] as c's cursor (it ends at c's end, where c + 1 starts) ...
  for (let i = 0; i < count; i++) {
    const at = start + ((<usize>load<u32>(events + <usize>i * E_STRIDE + (<usize>E_CONN << 2))) << 2);
    const j = load<i32>(at);
    store<i32>(order + (<usize>j << 2), i);
    store<i32>(at, j + 1);
  }
  // ... which leaves start[c] at the start of c + 1: shift back by one.
  for (let c = n; c > 0; c--) store<i32>(start + (<usize>c << 2), load<i32>(start + (<usize>(c - 1) << 2)));
  store<i32>(start, 0);
}

@inline function tableSlots(n: i32): i32 {
  let slots = 16;
  while (slots < n * 2) slots <<= 1;
  return slots;
}

/** Bytes serverIndexes() writes and works in, for `n` connections. */
export function serverIndexesBytes(n: i32): usize {
  return (<usize>n * 2 + <usize>tableSlots(n)) << 2;
}

@inline function serverPort(r: usize): u32 {
  return <u32>load<u16>(r + (<usize>(H_PORT + 1) << 1));
}

@inline function sameServer(a: usize, b: usize): bool {
  return serverPort(a) == serverPort(b) && isIpv6(a) == isIpv6(b) && sameAddr(a, b, 1);
}

/**
 * Numbers the servers (side B's address and port) of the `n` connections
 * at `records` in order of first appearance: writes each connection's
 * server number (i32) at `out`, then each server's first connection;
 * returns the number of servers. A busy capture has 10^5 connections to a
 * handful of servers, whose "addr:port" is then formatted once each.
 */
export function serverIndexes(records: usize, n: i32, out: usize): i32 {
  const firsts = out + (<usize>n << 2);
  const table = firsts + (<usize>n << 2);
  const slots = tableSlots(n);
  const mask = slots - 1;
  memory.fill(table, 0, <usize>slots << 2);
  let servers = 0;
  for (let c = 0; c < n; c++) {
    const r = records + <usize>c * RECORD_BYTES;
    let i = <i32>sideOf(r, 1) & mask;
    let s = -1;
    for (;;) {
      const v = load<i32>(table + (<usize>i << 2));
      if (v == 0) break;
      const first = load<i32>(firsts + (<usize>(v - 1) << 2));
      if (sameServer(r, records + <usize>first * RECORD_BYTES)) {
        s = v - 1;
        break;
      }
      i = (i + 1) & mask;
    }
    if (s < 0) {
      s = servers++;
      store<i32>(table + (<usize>i << 2), s + 1);
      store<i32>(firsts + (<usize>s << 2), c);
    }
    store<i32>(out + (<usize>c << 2), s);
  }
  return servers;
}
