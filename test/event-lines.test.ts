import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import type { PacketRecord } from '../src/capture/packet-record.js';
import { DecodedTcp } from '../src/decode/decoded-tcp.js';
import { EventLineEncoder, packetEvent, type ByteSink } from '../src/render/event-lines.js';
import type { TcpTracker } from '../src/track/tcp-tracker.js';

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));

/** A sink that keeps everything, with a small buffer so that lines land at many offsets and across flushes. */
class Collect implements ByteSink {
  readonly buffer = Buffer.alloc(4096);
  private used = 0;
  private readonly done: Buffer[] = [];

  reserve(bytes: number): number {
    if (bytes > this.buffer.length - this.used) this.flush();
    return this.used;
  }

  commit(end: number): void {
    this.used = end;
  }

  private flush(): void {
    this.done.push(Buffer.from(this.buffer.subarray(0, this.used)));
    this.used = 0;
  }

  text(): string {
    this.flush();
    return Buffer.concat(this.done).toString('utf8');
  }
}

test('encoded --events lines are byte for byte JSON.stringify(packetEvent) for every packet of the lab captures', async () => {
  const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap'));
  assert.ok(files.length > 10, 'the lab captures are there');
  let packets = 0;
  for (const f of files) {
    for (const label of [undefined, `two "files"\\ é ${f}`]) {
      const sink = new Collect();
      const encoder = new EventLineEncoder(label);
      let want = '';
      await analyzeCapture(join(CAPTURES, f), {
        onTcpPacket: (tracker, pkt, rec, kind) => {
          want += `${JSON.stringify(packetEvent(tracker, pkt, rec, kind, label))}\n`;
          encoder.write(tracker, pkt, rec, kind, sink);
          packets++;
        },
      });
      assert.equal(sink.text(), want, f);
    }
  }
  assert.ok(packets > 200, `${packets} packets compared`);
});

test('numbers at the edges are written as JSON.stringify writes them', () => {
  const pkt = new DecodedTcp();
  const cases: [Partial<PacketRecord>, Partial<DecodedTcp>, number][] = [
    [{ frame: 1, tsSec: 0, tsNsec: 0 }, { seq: 0, ack: 0, ttl: 0, window: 0, ipId: 0, flags: 0 }, 0],
    [
      { frame: 4294967295, tsSec: 4294967295, tsNsec: 999_999_999 },
      { seq: 4294967295, ack: 4294967295, ttl: 255, window: 65535, ipId: -1, flags: 0xff },
      7,
    ],
    [{ frame: 2 ** 40, tsSec: -1, tsNsec: 5 }, { seq: 10, ack: 99, ttl: 100, window: 1000, ipId: 65535, flags: 0x12 }, 9],
  ];
  for (const [r, p, conn] of cases) {
    Object.assign(pkt, p);
    pkt.src[0] = 0xffffffff;
    pkt.dst[0] = 0;
    const rec = { frame: 0, tsSec: 0, tsNsec: 0, ...r } as PacketRecord;
    const tracker = { lastId: conn, lastDir: conn & 1 } as unknown as TcpTracker;
    const sink = new Collect();
    new EventLineEncoder().write(tracker, pkt, rec, 3, sink);
    assert.equal(sink.text(), `${JSON.stringify(packetEvent(tracker, pkt, rec, 3))}\n`);
  }
});
