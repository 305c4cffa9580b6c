import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAYOUTS, RECORD_LAYOUT, TYPE_BYTES, type AnyLayout, type FieldType } from '../src/track/layout-fields.js';

// The record, event, reset-note and tail layouts are plain constants that
// the WebAssembly and the TypeScript sides both compile; positions count in
// units of the view that reads them (W_NEXT_SEQ = 12 is byte 48). Nothing
// else notices a field that overlaps another or runs past the record: the
// reads just return the other field's bytes.

interface Span {
  name: string;
  type: FieldType;
  from: number;
  /** Exclusive. */
  to: number;
}

const bytesText = (s: Span) => `bytes ${s.from}..${s.to - 1}`;

/** Everything wrong with a layout, in words (empty: nothing). */
function layoutProblems(l: AnyLayout): string[] {
  const problems: string[] = [];
  const where = (n: string) => `${l.name}: ${n}`;
  for (const n of Object.keys(l.constants)) if (!(n in l.entries)) problems.push(`${where(n)} is not described in layout-fields.ts`);
  for (const n of Object.keys(l.entries)) if (!(n in l.constants)) problems.push(`${where(n)} is described but not exported`);
  const value = (n: string): number => l.constants[n] as number;
  for (const n of Object.keys(l.constants)) {
    if (!Number.isSafeInteger(value(n)) || value(n) < 0)
      problems.push(`${where(n)} = ${String(l.constants[n])} is not a non-negative integer`);
  }
  // Every view, f64 included, must hold whole records.
  if (l.bytes % 8 !== 0) problems.push(`${l.name}: a record of ${l.bytes} bytes is not a whole number of f64s`);

  const fields = new Map<string, Span>();
  for (const [n, e] of Object.entries(l.entries)) {
    if (typeof e !== 'object' || !('type' in e)) continue;
    const w = TYPE_BYTES[e.type];
    const span = { name: n, type: e.type, from: value(n) * w, to: (value(n) + (e.slots ?? 1)) * w };
    fields.set(n, span);
    if (span.to > l.bytes) problems.push(`${where(n)} (${bytesText(span)}) does not lie inside the ${l.bytes}-byte record`);
  }
  const spans = [...fields.values()].sort((a, b) => a.from - b.from);
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length && spans[j]!.from < spans[i]!.to; j++) {
      problems.push(`${where(spans[i]!.name)} (${bytesText(spans[i]!)}) overlaps ${spans[j]!.name} (${bytesText(spans[j]!)})`);
    }
  }

  // Flags, masks and codes: within their field's width, and apart from each other.
  const fieldOf = (n: string, of: string): Span | null => {
    const f = fields.get(of);
    if (f === undefined) problems.push(`${where(n)} belongs to ${of}, which is not a field`);
    else if (f.type === 'f64') problems.push(`${where(n)} belongs to ${of}, an f64`);
    else return f;
    return null;
  };
  const limit = (f: Span) => 2 ** (8 * TYPE_BYTES[f.type]);
  const masks = new Map<string, number>();
  const bits = new Map<string, Map<number, string>>();
  const codes = new Map<string, Map<number, string>>();
  for (const [n, e] of Object.entries(l.entries)) {
    if (typeof e !== 'object' || !('maskOf' in e)) continue;
    const f = fieldOf(n, e.maskOf);
    if (f === null) continue;
    if (value(n) === 0 || value(n) >= limit(f)) problems.push(`${where(n)} = ${value(n)} is not a mask within ${f.type} ${f.name}`);
    masks.set(n, value(n));
  }
  for (const [n, e] of Object.entries(l.entries)) {
    if (typeof e !== 'object' || !('bitOf' in e)) continue;
    const f = fieldOf(n, e.bitOf);
    if (f === null) continue;
    const v = value(n);
    if (v === 0 || (v & (v - 1)) !== 0 || v >= limit(f)) problems.push(`${where(n)} = ${v} is not one bit of ${f.type} ${f.name}`);
    const seen = bits.get(f.name) ?? new Map<number, string>();
    bits.set(f.name, seen);
    if (seen.has(v)) problems.push(`${where(n)} is the same bit of ${f.name} as ${seen.get(v)}`);
    seen.set(v, n);
    for (const [m, mask] of masks) {
      const me = l.entries[m];
      if (typeof me === 'object' && 'maskOf' in me && me.maskOf === f.name && (v & mask) !== 0) problems.push(`${where(n)} lies in ${m}`);
    }
  }
  for (const [n, e] of Object.entries(l.entries)) {
    if (typeof e !== 'object' || !('codeOf' in e)) continue;
    const f = fieldOf(n, e.codeOf);
    if (f === null) continue;
    const v = value(n);
    if (e.within !== undefined) {
      const me = l.entries[e.within];
      if (typeof me !== 'object' || !('maskOf' in me) || me.maskOf !== f.name)
        problems.push(`${where(n)}: ${e.within} is not a mask of ${f.name}`);
      else if ((v & ~masks.get(e.within)!) !== 0) problems.push(`${where(n)} = ${v} does not fit in ${e.within}`);
    } else if (v >= limit(f)) problems.push(`${where(n)} = ${v} does not fit in ${f.type} ${f.name}`);
    const seen = codes.get(f.name) ?? new Map<number, string>();
    codes.set(f.name, seen);
    if (seen.has(v)) problems.push(`${where(n)} is the same value of ${f.name} as ${seen.get(v)}`);
    seen.set(v, n);
  }
  return problems;
}

for (const l of LAYOUTS) {
  test(`${l.name}: every field lies inside the record, no two overlap, every constant is described`, () => {
    assert.deepEqual(layoutProblems(l), []);
    assert.ok(
      Object.values(l.entries).some((e) => typeof e === 'object' && 'type' in e),
      'the layout has fields',
    );
  });
}

test("record-layout.ts: a field's prefix names the view it is read through", () => {
  const prefixType: Record<string, FieldType> = { W_: 'u32', H_: 'u16', B_: 'u8', F_: 'f64' };
  for (const [n, e] of Object.entries(RECORD_LAYOUT.entries)) {
    if (typeof e !== 'object' || !('type' in e)) continue;
    assert.equal(e.type, prefixType[n.slice(0, 2)], n);
  }
});

test('the check itself finds overlaps, fields past the end, undescribed constants and clashing bits', () => {
  const bad: AnyLayout = {
    name: 'bad',
    bytes: 16,
    constants: { W_A: 0, W_B: 1, F_C: 1, H_D: 7, B_E: 15, X_BIT: 1, Y_BIT: 1, MASK: 0x7f, CODE: 0x80, LOST: 3 },
    entries: {
      W_A: { type: 'u32', slots: 2 }, // bytes 0..7
      W_B: { type: 'u32' }, // bytes 4..7: inside W_A's second slot
      F_C: { type: 'f64' }, // bytes 8..15
      H_D: { type: 'u16', slots: 2 }, // bytes 14..17: past the end, and over F_C
      B_E: { type: 'u8' },
      X_BIT: { bitOf: 'B_E' },
      Y_BIT: { bitOf: 'B_E' },
      MASK: { maskOf: 'B_E' },
      CODE: { codeOf: 'B_E', within: 'MASK' },
    },
  };
  const problems = layoutProblems(bad);
  const expect = [
    'bad: W_A (bytes 0..7) overlaps W_B (bytes 4..7)',
    'bad: F_C (bytes 8..15) overlaps H_D (bytes 14..17)',
    'bad: F_C (bytes 8..15) overlaps B_E (bytes 15..15)',
    'bad: H_D (bytes 14..17) overlaps B_E (bytes 15..15)',
    'bad: H_D (bytes 14..17) does not lie inside the 16-byte record',
    'bad: LOST is not described in layout-fields.ts',
    'bad: Y_BIT is the same bit of B_E as X_BIT',
    'bad: X_BIT lies in MASK',
    'bad: CODE = 128 does not fit in MASK',
  ];
  for (const p of expect) assert.ok(problems.includes(p), `missing: ${p}\ngot:\n${problems.join('\n')}`);
});
