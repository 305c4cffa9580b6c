/**
 * `kad analyze --json`, streamed: the document is written piece by piece,
 * byte for byte what JSON.stringify(doc, null, 2) would give. A capture with
 * a quarter of a million connections makes a document longer than V8's
 * longest string, and a million connection reports would not fit in the heap
 * at once, so connection reports are made one at a time as they are written.
 */

/** Where the text goes (LineWriter). */
export interface TextSink {
  write(s: string): void;
}

/** Placeholder arrays (by identity) and the elements to write in their place, produced as they are written. */
export type LazyArrays = Map<unknown[], () => Iterable<unknown>>;

/** Arrays longer than this are written element by element rather than stringified whole. */
const STREAM_ARRAY_FROM = 256;
/** Objects this deep and deeper are stringified whole: they are small. */
const STRINGIFY_FROM_DEPTH = 3;

export function writeJson(out: TextSink, value: unknown, lazy: LazyArrays = new Map()): void {
  emit(out, value, '', 0, lazy);
  out.write('\n');
}

function emit(out: TextSink, value: unknown, indent: string, depth: number, lazy: LazyArrays): void {
  if (Array.isArray(value)) {
    const source = lazy.get(value);
    if (source) return emitArray(out, source(), indent, depth, lazy);
    if (depth < STRINGIFY_FROM_DEPTH || value.length > STREAM_ARRAY_FROM) return emitArray(out, value, indent, depth, lazy);
  } else if (value !== null && typeof value === 'object' && depth < STRINGIFY_FROM_DEPTH) {
    return emitObject(out, value as Record<string, unknown>, indent, depth, lazy);
  }
  out.write(stringify(value, indent));
}

/** JSON.stringify(v, null, 2) placed at `indent` (its inner lines shifted right). */
function stringify(v: unknown, indent: string): string {
  const s = JSON.stringify(v, null, 2) as string | undefined;
  // Only structure breaks lines: newlines inside strings are escaped.
  return indent === '' ? (s ?? 'null') : (s ?? 'null').replaceAll('\n', '\n' + indent);
}

/** Elements stringified in one JSON.stringify call: big enough to amortise the call, small enough for the output buffer. */
const BATCH = 32;

function emitArray(out: TextSink, items: Iterable<unknown>, indent: string, depth: number, lazy: LazyArrays): void {
  const inner = indent + '  ';
  let first = true;
  const batch: unknown[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    // Two writes, not one concatenation: a joined string is flattened (copied whole) before it is encoded.
    out.write(first ? '[\n' : ',\n');
    out.write(stringifyElements(batch, inner));
    first = false;
    batch.length = 0;
  };
  for (const raw of items) {
    // JSON.stringify writes null for what it cannot represent in an array.
    const item = raw === undefined || typeof raw === 'function' ? null : raw;
    if (wholeAt(item, depth + 1, lazy)) {
      batch.push(item);
      if (batch.length === BATCH) flush();
      continue;
    }
    flush();
    out.write(first ? '[\n' + inner : ',\n' + inner);
    first = false;
    emit(out, item, inner, depth + 1, lazy);
  }
  flush();
  out.write(first ? '[]' : '\n' + indent + ']');
}

/** Whether emit() would stringify `value` whole at `depth` (rather than stream it). */
function wholeAt(value: unknown, depth: number, lazy: LazyArrays): boolean {
  if (Array.isArray(value)) return !lazy.has(value) && depth >= STRINGIFY_FROM_DEPTH && value.length <= STREAM_ARRAY_FROM;
  return value === null || typeof value !== 'object' || depth >= STRINGIFY_FROM_DEPTH;
}

/**
 * Array elements as they appear at `inner` inside JSON.stringify(…, null, 2),
 * each preceded by `inner` and separated by ",\n": the elements are wrapped in
 * as many arrays as `inner` has levels, so that JSON.stringify indents them
 * itself, and the wrappers' lines are cut off (no re-indenting pass).
 */
function stringifyElements(elements: unknown[], inner: string): string {
  const levels = inner.length / 2;
  let wrapped: unknown = elements;
  for (let i = 1; i < levels; i++) wrapped = [wrapped];
  const s = JSON.stringify(wrapped, null, 2);
  // Opening lines "[\n", "  [\n", …; closing ones "\n…]", each as long as its indent plus 2.
  let head = 0;
  for (let i = 0; i < levels; i++) head += 2 * i + 2;
  return s.slice(head, s.length - head);
}

function emitObject(out: TextSink, obj: Record<string, unknown>, indent: string, depth: number, lazy: LazyArrays): void {
  const inner = indent + '  ';
  let first = true;
  for (const [key, v] of Object.entries(obj)) {
    // JSON.stringify leaves out properties it cannot represent.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out.write((first ? '{\n' : ',\n') + inner + JSON.stringify(key) + ': ');
    first = false;
    emit(out, v, inner, depth + 1, lazy);
  }
  out.write(first ? '{}' : '\n' + indent + '}');
}
