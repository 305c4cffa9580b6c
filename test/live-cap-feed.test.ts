/**
 * CapFeed and the cap glue: with a fake cap module (how packets become one
 * reused, stamped PacketRecord; how libpcap's errors become one-line
 * fixes). The real cap, as root, is in test/lab/live-cap-feed.test.ts.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CapDevice } from 'cap';
import { CapturePipeline } from '../src/analyze/analyze-capture.js';
import { capLoadError, defaultRouteInterface, linkTypeNumber, openError, type CapModule } from '../src/capture/live-cap.js';
import type { PacketRecord } from '../src/capture/packet-record.js';
import { UserError } from '../src/model/errors.js';
import { CapFeed, chooseDevice } from '../src/live/cap-feed.js';
import { buildFrame, type TcpSpec } from './helpers/capture-builder.js';

class FakeCap extends EventEmitter {
  static last: FakeCap | null = null;
  buffer: Buffer | null = null;
  opened: { device: string; filter: string; bufSize: number } | null = null;
  closed = 0;
  constructor(
    private readonly link: string,
    private readonly fail: string | null,
  ) {
    super();
    FakeCap.last = this;
  }
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string {
    if (this.fail) throw new Error(this.fail);
    this.opened = { device, filter, bufSize };
    this.buffer = buffer;
    return this.link;
  }
  close(): boolean {
    this.closed++;
    return true;
  }
  /** What cap's native side does: copy into the Buffer, emit (nbytes, truncated). */
  deliver(frame: Buffer): void {
    const n = Math.min(frame.length, this.buffer!.length);
    frame.copy(this.buffer!, 0, 0, n);
    this.emit('packet', n, n < frame.length);
  }
}

function fakeModule(opts: { link?: string; fail?: string; devices?: string[] } = {}): CapModule {
  const devices: CapDevice[] = (opts.devices ?? ['lo', 'kad-s']).map((name) => ({ name, addresses: [] }));
  return {
    Cap: class extends FakeCap {
      constructor() {
        super(opts.link ?? 'LINKTYPE_LINUX_SLL', opts.fail ?? null);
      }
    } as unknown as CapModule['Cap'],
    deviceList: () => devices,
  };
}

function specs(n: number): TcpSpec[] {
  const out: TcpSpec[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      src: '192.0.2.10',
      dst: '198.51.100.10',
      sport: 40000,
      dport: 5432,
      seq: 1000 + i,
      ack: 1,
      flags: i === 0 ? 'S' : 'A',
      tsNs: 0n,
    });
  }
  return out;
}

test("cap's link type strings map to LINKTYPE numbers", () => {
  assert.equal(linkTypeNumber('ETHERNET'), 1);
  assert.equal(linkTypeNumber('LINKTYPE_LINUX_SLL'), 113);
  assert.equal(linkTypeNumber('RAW'), 101);
  assert.equal(linkTypeNumber('NULL'), 0);
  assert.equal(linkTypeNumber('IEEE802_11_RADIO'), 127);
  assert.equal(linkTypeNumber('Unknown linktype 239'), 239);
  assert.equal(linkTypeNumber('something else'), null);
});

test('default interface: the default route (lowest metric), else IPv6, else "any"', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kad-route-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'net'));
  const v4Header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  const v6 = [
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000200000000000000000001 00000400 00000002 00000000 00000003    kad-s',
  ].join('\n');
  writeFileSync(
    join(root, 'net/route'),
    `${v4Header}eth1\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\nkad-s\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\nkad-s\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`,
  );
  writeFileSync(join(root, 'net/ipv6_route'), `${v6}\n`);
  assert.equal(defaultRouteInterface(root), 'kad-s');
  writeFileSync(join(root, 'net/route'), v4Header);
  assert.equal(defaultRouteInterface(root), 'kad-s', 'IPv6-only host');
  writeFileSync(join(root, 'net/ipv6_route'), `${v6.split('\n')[0]}\n`);
  assert.equal(defaultRouteInterface(root), null, "the kernel's unreachable default on lo is not a route");
  assert.deepEqual(chooseDevice(undefined, root), { device: 'any', why: 'no default route' });
  assert.deepEqual(chooseDevice('eth0', root), { device: 'eth0', why: null });
});

test("libpcap's errors become one line that says what to do", () => {
  const opts = { device: 'kad-s', filter: 'tcp port', snaplen: 65535, bufferSize: 1 << 20, command: 'kad watch' };
  const devices: CapDevice[] = [
    { name: 'kad-s', addresses: [] },
    { name: 'lo', addresses: [] },
  ];
  const cases: Array<[string, RegExp]> = [
    [
      'socket: Operation not permitted',
      /^kad watch needs root or CAP_NET_RAW to capture: run as root, or give the capability to a copy of node that only kad runs, or to a systemd unit \(README: "Capture without root"\)$/,
    ],
    ["You don't have permission to perform this capture on that device (socket: Operation not permitted)", /needs root or CAP_NET_RAW/],
    ['No such device exists', /^no such interface "kad-s"; available: any, kad-s, lo$/],
    ['That device is not up', /^interface kad-s is down: bring it up \(ip link set kad-s up\)/],
    ["can't parse filter expression: syntax error", /^bad capture filter "tcp port": syntax error \(syntax: man pcap-filter\)$/],
    ['something new', /^cannot capture on kad-s: something new$/],
  ];
  for (const [msg, expected] of cases) {
    const e = openError(new Error(msg), opts, devices);
    assert.ok(e instanceof UserError);
    assert.match(e.message, expected, msg);
    assert.ok(!e.message.includes('\n'));
  }
  assert.equal(openError(new Error('socket: Operation not permitted'), opts, devices).exitCode, 77);
  const load = capLoadError(new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory\nRequire stack:\n- x'));
  assert.equal(
    load.message,
    'cannot load the packet capture module cap (libpcap.so.0.8: cannot open shared object file: No such file or directory): install libpcap: apt-get install libpcap0.8 libpcap-dev, then npm rebuild cap',
  );
});

test('CapFeed: an unknown interface is refused before libpcap is asked, listing the real ones', () => {
  const feed = new CapFeed({ device: 'eth9', capModule: fakeModule() });
  assert.throws(
    () => feed.open(),
    (e: unknown) => e instanceof UserError && e.message === 'no such interface "eth9"; available: any, lo, kad-s',
  );
});

test('CapFeed: one reused record per packet, stamped on arrival, Buffer held, decodable; stop() ends start()', async () => {
  const feed = new CapFeed({ device: 'kad-s', filter: 'tcp port 5432', snaplen: 256, bufferSize: 1 << 20, capModule: fakeModule() });
  assert.match(feed.label, /^kad-s, libpcap via cap, arrival timestamps, filter "tcp port 5432"$/);
  feed.open();
  const cap = FakeCap.last!;
  assert.deepEqual(cap.opened, { device: 'kad-s', filter: 'tcp port 5432', bufSize: 1 << 20 });
  assert.equal(cap.buffer!.length, 256, '--snaplen sizes the Buffer cap copies into');

  const pipeline = new CapturePipeline('fake');
  const seen: Array<{ rec: PacketRecord; frame: number; ns: number; capLen: number }> = [];
  const before = Date.now();
  const done = feed.start((rec) => {
    seen.push({ rec, frame: rec.frame, ns: rec.tsSec * 1e9 + rec.tsNsec, capLen: rec.capLen });
    assert.equal(rec.buf, cap.buffer, 'the record points at the capture Buffer');
    assert.equal(rec.linkType, 113);
    pipeline.onPacket(rec);
  });
  const frames = specs(5).map((s) => buildFrame(s, 'sll'));
  frames.push(Buffer.concat([buildFrame(specs(1)[0]!, 'sll'), Buffer.alloc(400)])); // longer than the snaplen
  for (const f of frames) cap.deliver(f);
  const after = Date.now();
  feed.stop();
  await done;

  assert.equal(seen.length, 6);
  assert.ok(
    seen.every((s) => s.rec === seen[0]!.rec),
    'no record allocated per packet',
  );
  assert.deepEqual(
    seen.map((s) => s.frame),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(seen[5]!.capLen, 256, 'cut at the snaplen');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.ns >= seen[i - 1]!.ns, 'arrival stamps never go back');
  assert.ok(seen[0]!.ns >= before * 1e6 - 1e6 && seen[5]!.ns <= after * 1e6 + 1e6, 'stamps are wall-clock times');
  assert.equal(pipeline.analysis().tcpPackets, 6);
  assert.equal(pipeline.tracker.connectionCount, 1);
  assert.ok(cap.closed >= 1);
  assert.equal(feed.drops(), null, 'cap has no pcap_stats');
});

test('CapFeed: a throwing consumer ends the feed with its error instead of crashing inside cap', async () => {
  const feed = new CapFeed({ device: 'lo', capModule: fakeModule({ link: 'ETHERNET' }) });
  const done = feed.start(() => {
    throw new Error('consumer broke');
  });
  FakeCap.last!.deliver(buildFrame(specs(1)[0]!, 'ether'));
  await assert.rejects(done, /consumer broke/);
  assert.ok(FakeCap.last!.closed >= 1);
});

test('CapFeed: an unsupported link type is refused with advice', () => {
  const feed = new CapFeed({ device: 'lo', capModule: fakeModule({ link: 'weird' }) });
  assert.throws(() => feed.open(), /unsupported link type "weird"; pick another interface with -i, or use 'any'/);
});
