import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { instantiatePass, PASS_EXPORTS, type ExportSpec } from '../src/track/wasm-pass.js';

// PassExports is TypeScript's word for what src/wasm/tracker.ts exports; the
// cast in instantiatePass means nothing else checks it. Held here against
// the module `npm run build` made (dist/wasm/tracker.wasm), both ways.

const built = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL('../wasm/tracker.wasm', import.meta.url))));
const declared: Record<string, ExportSpec> = PASS_EXPORTS;
// Instantiated the way kad does it, for the functions' parameter counts.
const instance = instantiatePass(16, 1 << 16).exports as unknown as Record<string, unknown>;

test('every export PASS_EXPORTS declares is in the built module, of the kind and parameter count declared', () => {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const found = built.find((e) => e.name === name);
    if (found === undefined) problems.push(`${name}: not exported by tracker.wasm`);
    else if (found.kind !== spec.kind) problems.push(`${name}: a ${found.kind}, declared a ${spec.kind}`);
    else if (spec.params !== undefined) {
      const params = (instance[name] as (...args: unknown[]) => unknown).length;
      if (params !== spec.params) problems.push(`${name}: takes ${params} parameters, declared ${spec.params}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every export of the built module is declared in PASS_EXPORTS', () => {
  const undeclared = built.filter((e) => !(e.name in declared)).map((e) => `${e.name} (${e.kind})`);
  assert.deepEqual(undeclared, [], 'exported by tracker.wasm but not declared: use it, or stop exporting it');
});
