/**
 * pcapng timestamps are 64-bit tick counts in a per-interface unit. JS
 * numbers lose precision above 2^53 (a ns epoch timestamp is ~2^60) and
 * BigInt allocates, so the common units are converted with integer-exact
 * double arithmetic on 32/16-bit pieces; only exotic units use BigInt.
 */

/** How to turn ticks of one interface into (seconds, nanoseconds). */
export interface TsUnit {
  /** 0: 10^-n with n ≤ 9; 1: 2^-n with n ≤ 32; 2: anything else (BigInt). */
  kind: 0 | 1 | 2;
  /** kind 0: ticks per second (10^n). */
  div: number;
  /** kind 0: nanoseconds per tick (10^(9-n)). */
  mul: number;
  /** kind 1: n. */
  shift: number;
  /** kind 2: ticks per second. */
  bigPerSec: bigint;
  /** if_tsoffset, whole seconds added to every timestamp. */
  offsetSec: number;
  /** Length of one tick in ns, not rounded. */
  tickNs: number;
}

/**
 * @param resol raw if_tsresol byte (MSB 0: 10^-n, MSB 1: 2^-n), or 6 when absent.
 * Returns null for units that do not fit in 64-bit arithmetic at all.
 */
export function makeUnit(resol: number, offsetSec: number): TsUnit | null {
  const n = resol & 0x7f;
  const base2 = (resol & 0x80) !== 0;
  const unit: TsUnit = { kind: 2, div: 1, mul: 1, shift: 0, bigPerSec: 1n, offsetSec, tickNs: 1 };
  if (base2) {
    if (n > 63) return null;
    unit.bigPerSec = 1n << BigInt(n);
    unit.tickNs = 1e9 / 2 ** n;
    if (n <= 32) {
      unit.kind = 1;
      unit.shift = n;
    }
  } else {
    if (n > 19) return null;
    unit.bigPerSec = 10n ** BigInt(n);
    unit.tickNs = 10 ** (9 - n);
    if (n <= 9) {
      unit.kind = 0;
      unit.div = 10 ** n;
      unit.mul = 10 ** (9 - n);
    }
  }
  return unit;
}

/**
 * Seconds and nanoseconds of the tick count hi·2^32 + lo. The result goes
 * into `out` (the reused packet record) so nothing is allocated.
 */
export function setTicks(out: { tsSec: number; tsNsec: number }, hi: number, lo: number, u: TsUnit): void {
  if (u.kind === 0) {
    const d = u.div;
    let q: number;
    let r: number;
    if (hi < 0x100000) {
      // Below 2^52 the tick count itself is an exact double (µs epoch times live here).
      const t = hi * 4294967296 + lo;
      q = Math.floor(t / d);
      r = t - q * d;
    } else if (d >= 65536) {
      // The double quotient is off by at most one; the remainder is then
      // exact modulo 2^32 and small enough to be recovered from int32 math.
      q = Math.floor((hi * 4294967296 + lo) / d);
      r = (lo - Math.imul(q, d)) | 0;
    } else {
      // Small divisors with huge tick counts: long division in 16-bit digits
      // keeps every partial dividend below 2^46.
      const q2 = Math.floor(hi / d);
      let x = (hi - q2 * d) * 65536 + (lo >>> 16);
      const q1 = Math.floor(x / d);
      x = (x - q1 * d) * 65536 + (lo & 0xffff);
      const q0 = Math.floor(x / d);
      q = q2 * 4294967296 + q1 * 65536 + q0;
      r = x - q0 * d;
    }
    if (r < 0) {
      q -= 1;
      r += d;
    } else if (r >= d) {
      q += 1;
      r -= d;
    }
    out.tsSec = q + u.offsetSec;
    out.tsNsec = r * u.mul;
    return;
  }
  if (u.kind === 1) {
    const n = u.shift;
    let frac: number;
    if (n === 32) {
      out.tsSec = hi + u.offsetSec;
      frac = lo;
    } else {
      out.tsSec = hi * 2 ** (32 - n) + Math.floor(lo / 2 ** n) + u.offsetSec;
      frac = lo % 2 ** n;
    }
    // frac·10^9 / 2^n, floored like tshark; 10^9 = 2^9·1953125 keeps the
    // product below 2^53 for n ≤ 32.
    out.tsNsec = n <= 9 ? Math.floor((frac * 1e9) / 2 ** n) : Math.floor((frac * 1953125) / 2 ** (n - 9));
    return;
  }
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const per = u.bigPerSec;
  out.tsSec = Number(ticks / per) + u.offsetSec;
  out.tsNsec = Number(((ticks % per) * 1_000_000_000n) / per);
}
