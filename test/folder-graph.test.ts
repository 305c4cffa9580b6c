import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The one-way folder graph of src/ (ARCHITECTURE.md draws it). A folder may
 * import its own files and folders of lower layers only; folders of one layer
 * never import each other. Files at the top of src/ (version.ts, declarations)
 * count as the lowest layer.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['.', 'types', 'model'],
  ['util'],
  // The presets are facts the at-risk rule (sockets/) reads: recommend/ imports only model/ and util/.
  ['recommend'],
  ['capture', 'sockets'],
  // kernel/: tracefs events joined to the socket table; diagnose/ turns them into evidence.
  ['decode', 'audit', 'fix', 'kernel'],
  ['track'],
  ['wasm'],
  ['analyze'],
  ['diagnose'],
  ['report'],
  ['live', 'probe'],
  ['render', 'metrics'],
  ['tui'],
  ['cli'],
];

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes(sep) ? rel.slice(0, rel.indexOf(sep)) : '.';
}

export interface FolderEdge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

/** Every import from one src/ folder into another. */
export function folderEdges(src = SRC): FolderEdge[] {
  const edges: FolderEdge[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? '';
      const target = normalize(join(dirname(file), spec));
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file: relative(SRC, file), spec });
    }
  }
  return edges;
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

test('every src/ folder has a layer', () => {
  const folders = new Set(sourceFiles(SRC).map(folderOf));
  const missing = [...folders].filter((f) => layerOf(f) < 0);
  assert.deepEqual(missing, [], `folders without a layer in LAYERS: ${missing.join(', ')}`);
});

test('imports only point down the layers: no folder cycles', () => {
  const edges = folderEdges();
  assert.ok(edges.length > 20, 'the import scan found the cross-folder imports');
  const wrong = edges
    .filter((e) => layerOf(e.to) >= layerOf(e.from))
    .map((e) => `${e.file} (${e.from}, layer ${layerOf(e.from)}) imports ${e.spec} (${e.to}, layer ${layerOf(e.to)})`);
  assert.deepEqual(wrong, []);
});
