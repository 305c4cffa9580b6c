import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temporary folder for the captures one test file writes, removed when that
 * file's tests end. Call it at the top level of the test file.
 */
export function tempCaptures(prefix: string, defaultExt: string): { dir: string; write: (data: Buffer, ext?: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let fileNo = 0;
  return {
    dir,
    write(data: Buffer, ext = defaultExt): string {
      const p = join(dir, `f${fileNo++}.${ext}`);
      writeFileSync(p, data);
      return p;
    },
  };
}
