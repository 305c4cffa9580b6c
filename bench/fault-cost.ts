import { median } from '../src/util/median.js';

const PAGE = 4096;
const BYTES = 64 << 20;

/**
 * Microseconds one page fault takes here: fresh WebAssembly memory, as the
 * tracker grows its own, touched once a page. A whole pass touches tens of
 * thousands of new pages (its WebAssembly memory, V8's heap as it grows) that
 * the read floor, reusing one buffer, never does; on a VM each is a trap
 * that also maps the page for the hypervisor, so the ablation turns the
 * count into seconds with what it costs on this machine today.
 */
export function pageFaultMicros(): number {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const m = new WebAssembly.Memory({ initial: 0, maximum: BYTES >> 16 });
    const t0 = performance.now();
    m.grow(BYTES >> 16);
    const u = new Uint8Array(m.buffer);
    for (let i = 0; i < BYTES; i += PAGE) u[i] = 1;
    runs.push(((performance.now() - t0) * 1e3) / (BYTES / PAGE));
  }
  return median(runs);
}
