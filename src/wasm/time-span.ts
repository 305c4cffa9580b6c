// AssemblyScript: when the capture's TCP traffic starts and ends, over every
// connection record (a cold loop of 10^5 iterations in JavaScript).
import { F_T_FIRST, F_T_LAST, RECORD_BYTES } from '../track/record-layout';

/**
 * Writes at `out` the earliest first-packet time and the latest last-packet
 * time of the `n` connections (f64 each; Infinity and -Infinity when none).
 */
export function timeSpan(records: usize, n: i32, out: usize): void {
  let first = Infinity;
  let last = -Infinity;
  for (let c: usize = 0; c < <usize>n; c++) {
    const r = records + c * RECORD_BYTES;
    const t0 = load<f64>(r + (<usize>F_T_FIRST << 3));
    const t1 = load<f64>(r + (<usize>F_T_LAST << 3));
    if (t0 < first) first = t0;
    if (t1 > last) last = t1;
  }
  store<f64>(out, first);
  store<f64>(out + 8, last);
}
