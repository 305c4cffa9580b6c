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

function emitArray(out: TextSink, items: Iterable<unknown>, indent: string, depth: number, lazy: LazyArrays): void {
  const inner = indent + '  ';
  let first = true;
  for (const item of items) {
    out.write(first ? '[\n' + inner : ',\n' + inner);
    first = false;
    // JSON.stringify writes null for what it cannot represent in an array.
    emit(out, item === undefined || typeof item === 'function' ? null : item, inner, depth + 1, lazy);
  }
  out.write(first ? '[]' : '\n' + indent + ']');
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
