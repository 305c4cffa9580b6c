import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { eventLinePhrases, packetEvent } from '../src/render/event-lines.js';

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));

test('filtered --events lines (each frame tracked alone, the filter asked per packet) are byte for byte JSON.stringify(packetEvent) of the packets kept', async () => {
  const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap'));
  assert.ok(files.length > 10, 'the lab captures are there');
  let kept = 0;
  let dropped = 0;
  for (const f of files) {
    for (const label of [undefined, `two "files"\\ é ${f}`]) {
      // Every other packet of the server side: a filter that keeps some packets of a connection and drops others.
      const keep = (n: number, dport: number): boolean => n % 2 === 0 || dport < 1024;
      let want = '';
      let n = 0;
      await analyzeCapture(join(CAPTURES, f), {
        onTcpPacket: (tracker, pkt, rec, kind) => {
          if (keep(n++, pkt.dstPort)) want += `${JSON.stringify(packetEvent(tracker, pkt, rec, kind, label))}\n`;
        },
      });
      const parts: Buffer[] = [];
      let m = 0;
      await analyzeCapture(join(CAPTURES, f), {
        eventLines: { ...eventLinePhrases(label), write: (b) => parts.push(Buffer.from(b)) },
        keepEventLine: (_tracker, pkt) => {
          const k = keep(m++, pkt.dstPort);
          if (k) kept++;
          else dropped++;
          return k;
        },
      });
      assert.equal(m, n, `${f}: the filter is asked once per TCP packet`);
      assert.equal(Buffer.concat(parts).toString('utf8'), want, f);
    }
  }
  assert.ok(kept > 100 && dropped > 100, `${kept} lines kept, ${dropped} dropped`);
});
