// AssemblyScript: each connection's unanswered tails, for silent-drop
// diagnosis (src/diagnose/silent-drop.ts): the logged packets one side sent
// after the other side's last packet. One forward pass over the event log in
// place; read per connection from the end in JavaScript, the same events were
// a cache miss each, in code that runs cold.
import { E_CONN, E_DIR, E_FRAME, E_KIND, E_STRIDE } from '../track/event-layout';
import { AWAITS_ANSWER_KINDS, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../track/kind-codes';
import { H_STATE, RECORD_BYTES, ST_UNANSWERED, W_LAST_FRAME_DIR } from '../track/record-layout';
import { TAIL_FIRST, TAIL_KEEPALIVES, TAIL_LAST, TAIL_LOCAL_RST, TAIL_PACKETS, TAIL_RETRANSMISSIONS, TAIL_STRIDE32 } from '../track/tail-layout';

/** Bytes unansweredTails() writes and works in, for `n` connections. */
export function tailsBytes(n: i32): usize {
  // The tails, the answered-up-to frame of each (connection, direction), a flag byte per connection.
  return <usize>n * 2 * (TAIL_STRIDE32 + 1) * 4 + <usize>n;
}

/**
 * Writes at `out`, for each connection c and direction x (entry c * 2 + x,
 * TAIL_STRIDE32 i32 each), what x sent after the last frame of the other
 * direction: packets (keepalives, retransmissions and data), the first and
 * last of them (event indexes, -1: none), how many were keepalives and
 * retransmissions, and whether x also sent a RST there; then, at
 * flagsAt(out, n), a byte per connection: 1 when its last logged packet went
 * unanswered (ST_UNANSWERED).
 */
export function flagsAt(out: usize, n: i32): usize {
  return out + <usize>n * 2 * (TAIL_STRIDE32 + 1) * 4;
}

export function unansweredTails(records: usize, n: i32, events: usize, count: i32, out: usize): void {
  const answeredUpTo = out + <usize>n * 2 * TAIL_STRIDE32 * 4;
  const flags = flagsAt(out, n);
  for (let c: usize = 0; c < <usize>n; c++) {
    const r = records + c * RECORD_BYTES;
    const lastFrame = r + (<usize>W_LAST_FRAME_DIR << 2);
    // A direction's tail starts after the other direction's last frame.
    store<u32>(answeredUpTo + (c << 3), load<u32>(lastFrame + 4));
    store<u32>(answeredUpTo + (c << 3) + 4, load<u32>(lastFrame));
    store<u8>(flags + c, (<i32>load<u16>(r + (<usize>H_STATE << 1)) & ST_UNANSWERED) != 0 ? 1 : 0);
    for (let x: usize = 0; x < 2; x++) {
      const tail = out + ((c << 1) + x) * TAIL_STRIDE32 * 4;
      memory.fill(tail, 0, TAIL_STRIDE32 * 4);
      store<i32>(tail + (TAIL_FIRST << 2), -1);
      store<i32>(tail + (TAIL_LAST << 2), -1);
    }
  }
  for (let i = 0; i < count; i++) {
    const e = events + <usize>i * E_STRIDE;
    const cx = (<usize>load<u32>(e + (<usize>E_CONN << 2)) << 1) + <usize>load<u8>(e + E_DIR);
    if (load<u32>(e + (<usize>E_FRAME << 2)) <= load<u32>(answeredUpTo + (cx << 2))) continue;
    const tail = out + cx * TAIL_STRIDE32 * 4;
    const k = <i32>load<u8>(e + E_KIND);
    if (((1 << k) & AWAITS_ANSWER_KINDS) != 0) {
      const packets = tail + (TAIL_PACKETS << 2);
      if (load<i32>(packets) == 0) store<i32>(tail + (TAIL_FIRST << 2), i);
      store<i32>(packets, load<i32>(packets) + 1);
      store<i32>(tail + (TAIL_LAST << 2), i);
      if (k == K_KEEPALIVE) store<i32>(tail + (TAIL_KEEPALIVES << 2), load<i32>(tail + (TAIL_KEEPALIVES << 2)) + 1);
      else if (k == K_RETRANSMISSION) store<i32>(tail + (TAIL_RETRANSMISSIONS << 2), load<i32>(tail + (TAIL_RETRANSMISSIONS << 2)) + 1);
    } else if (k == K_RST) {
      store<i32>(tail + (TAIL_LOCAL_RST << 2), 1);
    }
  }
}
