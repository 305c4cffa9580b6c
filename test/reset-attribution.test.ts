import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture, type CaptureAnalysis } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { compareCaptures, sameRst, sameTimeToleranceNs } from '../src/diagnose/two-sided.js';
import type { ResetContext } from '../src/track/reset-context.js';
import type { ResetSignal, ResetVerdict } from '../src/model/analysis-report.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';

/*
 * One test per attribution signal. Each builds captures in which every other
 * signal is silent or neutral (no TCP timestamps, IP ID 0, window 0, exact
 * sequence numbers, no idle gap, a sub-millisecond RTT, a server TTL that
 * varies so a TTL match says little) and changes only the signal under test.
 * Captures are taken at the client (its TTL is 64: 0 hops), the server is 4
 * hops away.
 */

const dir = mkdtempSync(join(tmpdir(), 'kad-attr-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const CLIENT = { addr: '192.0.2.10', port: 40000 };
const SERVER = { addr: '198.51.100.10', port: 5432 };
const T0 = 1_700_000_000_000_000_000n;

async function load(pkts: TcpSpec[]): Promise<CaptureAnalysis> {
  const file = join(dir, `c${n++}.pcap`);
  writeFileSync(file, buildPcap(pkts, { nano: true }));
  return analyzeCapture(file);
}

async function verdicts(pkts: TcpSpec[]): Promise<ResetVerdict[]> {
  return diagnoseCapture(await load(pkts)).diagnoses.flatMap((d) => d.resets);
}

/** A healthy exchange seen at the client; the server's TTL wobbles between 60 and 61, in its data too (no proxy split). */
function base(): TcpScript {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [64, 60];
  s.handshake().send(0, 10).ack(1).send(1, 10);
  s.ttl = [64, 61];
  s.send(1, 10).ack(0).send(0, 5);
  s.ttl = [64, 60];
  return s;
}

/**
 * One connection as two captures see it: at the server (the client 4 hops
 * away) and at the client itself (0 hops), whose capture clock runs
 * `clientClockAheadNs` ahead.
 */
function bothEnds(clientClockAheadNs = 2_000_000n): [TcpScript, TcpScript] {
  const atServer = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  const atClient = new TcpScript(CLIENT, SERVER, [1000, 5000], T0 + clientClockAheadNs);
  atServer.ttl = [60, 64];
  atClient.ttl = [64, 60];
  return [atServer, atClient];
}

function signal(v: ResetVerdict, name: ResetSignal) {
  const e = v.evidence.find((x) => x.signal === name);
  assert.ok(e, `no ${name} evidence in ${JSON.stringify(v.evidence)}`);
  return e;
}

test('neutral base: nothing points anywhere, the verdict is unknown', async () => {
  const [v] = await verdicts(base().rst(1).packets);
  assert.equal(v!.attribution, 'unknown');
});

test('ttl: a RST from fewer hops than the server is a middlebox; the same hop count is the peer', async () => {
  const steady = () => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.ttl = [64, 60];
    return s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).send(0, 5);
  };
  const [forged] = await verdicts(steady().rst(1, { ttl: 62 }).packets);
  assert.equal(forged!.attribution, 'middlebox');
  assert.equal(signal(forged!, 'ttl').strength, 'strong');
  const [real] = await verdicts(steady().rst(1, { ttl: 60 }).packets);
  assert.equal(real!.attribution, 'peer');
});

test('timing: an answer much faster than the handshake RTT comes from something closer than the peer', async () => {
  const run = async (rstDelayNs: bigint) => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.gapNs = 10_000_000n; // 20 ms handshake RTT
    s.ttl = [64, 60];
    s.handshake().send(1, 10);
    s.ttl = [64, 61];
    s.send(1, 10).ack(0);
    s.ttl = [64, 60];
    s.gapNs = rstDelayNs;
    s.send(0, 5);
    return (await verdicts(s.rst(1).packets))[0]!;
  };
  const fast = await run(300_000n); // 0.3 ms
  assert.equal(fast.attribution, 'middlebox');
  assert.equal(signal(fast, 'timing').pointsTo, 'middlebox');
  const slow = await run(21_000_000n); // one RTT
  assert.equal(slow.attribution, 'peer');
  assert.equal(signal(slow, 'timing').pointsTo, 'peer');
});

test('timing: from arrival timestamps (a live capture through cap) a fast answer is only weak evidence, and says why', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.gapNs = 10_000_000n;
  s.ttl = [64, 60];
  s.handshake().send(1, 10);
  s.ttl = [64, 61];
  s.send(1, 10).ack(0);
  s.ttl = [64, 60];
  s.gapNs = 300_000n;
  s.send(0, 5);
  const analysis = await load(s.rst(1).packets);
  const timing = (a: CaptureAnalysis) => signal(diagnoseCapture(a).diagnoses.flatMap((d) => d.resets)[0]!, 'timing');
  assert.equal(timing(analysis).strength, 'strong');
  const arrival = timing({ ...analysis, arrivalTimestamps: true });
  assert.equal(arrival.pointsTo, 'middlebox');
  assert.equal(arrival.strength, 'weak');
  assert.match(arrival.caveat ?? '', /stamped when they reached kad, not by the kernel/);
});

test("ip-id: a RST that continues the server's IP ID sequence came from its socket", async () => {
  const run = async (rstId: (last: number) => number) => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.ipIds = [null, 3000];
    s.ttl = [64, 60];
    s.handshake().send(0, 10).ack(1).send(1, 10);
    s.ttl = [64, 61];
    s.send(1, 10).ack(0).send(0, 5);
    s.ttl = [64, 60];
    const last = s.ipIds[1]! - 1;
    return (await verdicts(s.rst(1, { ipId: rstId(last) }).packets))[0]!;
  };
  const cont = await run((last) => last + 1);
  assert.equal(cont.attribution, 'peer');
  assert.equal(signal(cont, 'ip-id').pointsTo, 'peer');
  const jump = await run((last) => (last + 20000) & 0xffff);
  assert.notEqual(jump.attribution, 'peer');
  assert.equal(signal(jump, 'ip-id').pointsTo, 'middlebox');
});

test("timestamps: a RST with the negotiated TCP timestamps came from the endpoint's socket", async () => {
  const run = async (withTs: boolean) => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.timestamps = true;
    s.ttl = [64, 60];
    s.handshake().send(0, 10).ack(1).send(1, 10);
    s.ttl = [64, 61];
    s.send(1, 10).ack(0).send(0, 5);
    s.ttl = [64, 60];
    return (await verdicts(s.rst(1, { timestamps: withTs }).packets))[0]!;
  };
  const withTs = await run(true);
  assert.equal(withTs.attribution, 'peer');
  const without = await run(false);
  assert.equal(without.attribution, 'unknown', 'missing timestamps alone must not accuse anyone: socketless RSTs lack them too');
  assert.ok(signal(without, 'timestamps').caveat);
});

test('window: a RST advertising a real window looks like an aborting socket; window 0 says nothing', async () => {
  const [open] = await verdicts(base().rst(1, { win: 502 }).packets);
  assert.equal(open!.attribution, 'peer');
  const [zero] = await verdicts(base().rst(1, { win: 0 }).packets);
  assert.equal(zero!.attribution, 'unknown');
});

test("seq: a RST far outside the server's sequence space is a blind injection", async () => {
  const [blind] = await verdicts(base().rst(1, { seq: 5000 + 3_000_000 }).packets);
  assert.equal(blind!.attribution, 'middlebox');
  assert.equal(signal(blind!, 'seq').pointsTo, 'middlebox');
});

test('multiple-rsts: several RSTs with different sequence numbers within a second are an injector', async () => {
  const s = base();
  s.rst(1)
    .rst(1, { seq: 5021 + 1460 })
    .rst(1, { seq: 5021 + 4380 });
  const [v] = await verdicts(s.packets);
  assert.equal(v!.attribution, 'middlebox');
  assert.equal(signal(v!, 'multiple-rsts').strength, 'strong');
});

test('data-after-rst: a server that keeps sending after "its" RST never sent it', async () => {
  const s = base().rst(1);
  s.send(1, 30);
  const [v] = await verdicts(s.packets);
  assert.equal(v!.attribution, 'middlebox');
  assert.equal(signal(v!, 'data-after-rst').pointsTo, 'middlebox');
});

test('idle-age: the first packet after a long silence is flagged, but idle alone does not accuse anyone', async () => {
  const s = base().wait(400).send(0, 5);
  const [v] = await verdicts(s.rst(1).packets);
  const e = signal(v!, 'idle-age');
  assert.equal(e.pointsTo, 'middlebox');
  assert.equal(e.strength, 'weak');
  assert.ok(e.caveat);
  assert.equal(v!.attribution, 'unknown');
});

test('local stack: a RST leaving the capturing host itself is its own', async () => {
  // Seen at the server: its own packets have TTL 64 (0 hops).
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [60, 64];
  s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).rst(1, { ttl: 64 });
  const [v] = await verdicts(s.packets);
  assert.equal(v!.attribution, 'local-stack');
});

test("two-sided: the claimed sender's own capture decides whether it sent the RST", async () => {
  // The same connection seen at the server (client 4 hops away) and at the client (0 hops).
  const run = async (clientSentIt: boolean) => {
    const [atServer, atClient] = bothEnds();
    for (const s of [atServer, atClient]) s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).wait(1);
    atServer.send(1, 7).rst(0, { ttl: 60 });
    atClient.send(1, 7);
    if (clientSentIt) atClient.rst(0, { ttl: 64 });
    atClient.wait(5).send(0, 1); // the client capture keeps running past the reset
    const a = await load(atServer.packets);
    const b = await load(atClient.packets);
    const two = compareCaptures(a, b);
    assert.equal(two.comparison.matched.length, 1);
    assert.equal(two.comparison.matchedBy, 'isn');
    return diagnoseCapture(a, two.cross[0]).diagnoses.flatMap((d) => d.resets)[0]!;
  };
  const forged = await run(false);
  assert.equal(forged.attribution, 'middlebox');
  assert.equal(signal(forged, 'two-sided').strength, 'decisive');
  const real = await run(true);
  assert.equal(real.attribution, 'peer');
  assert.equal(signal(real, 'two-sided').pointsTo, 'peer');
});

test('two-sided: a capture that lost packets of the connection cannot prove the RST was never sent', async () => {
  const run = async (clientCaptureLoses: boolean) => {
    const [atServer, atClient] = bothEnds();
    for (const s of [atServer, atClient]) s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).send(1, 30).send(1, 40).wait(1);
    // The client's capture misses the server's 30-byte segment: a sequence hole, as when the capture drops packets.
    if (clientCaptureLoses) atClient.packets.splice(atClient.packets.length - 2, 1);
    atServer.send(1, 7).rst(0, { ttl: 60 });
    atClient.send(1, 7).wait(5).send(0, 1);
    const a = await load(atServer.packets);
    const b = await load(atClient.packets);
    const two = compareCaptures(a, b);
    assert.equal(two.comparison.matched.length, 1);
    return diagnoseCapture(a, two.cross[0]).diagnoses.flatMap((d) => d.resets)[0]!;
  };
  const whole = signal(await run(false), 'two-sided');
  assert.equal(whole.strength, 'decisive');
  const lossy = signal(await run(true), 'two-sided');
  assert.equal(lossy.pointsTo, 'middlebox');
  assert.equal(lossy.strength, 'medium');
  assert.match(lossy.caveat ?? '', /missed a segment of this connection \(sequence holes\): the RST may be among what it missed/);
});

test("two-sided: the sender's own later RST with the same sequence number is not the forged one (an abort the firewall dropped)", async () => {
  // The firewall forges a RST to the server; 3 s later the client application aborts (SO_LINGER 0) and the
  // firewall drops that RST: the client's capture holds a RST with the very same sequence number, 3 s late.
  const [atServer, atClient] = bothEnds();
  for (const s of [atServer, atClient]) s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).wait(1);
  atServer.send(1, 7).rst(0, { ttl: 60 });
  atClient.send(1, 7).wait(3).rst(0, { ttl: 64 }).wait(5).send(0, 1);
  const a = await load(atServer.packets);
  const b = await load(atClient.packets);
  const two = compareCaptures(a, b);
  assert.equal(two.comparison.matched.length, 1);
  const v = diagnoseCapture(a, two.cross[0]).diagnoses.flatMap((d) => d.resets)[0]!;
  const e = signal(v, 'two-sided');
  assert.equal(e.pointsTo, 'middlebox', e.detail);
  assert.equal(v.attribution, 'middlebox');
});

test('two-sided: one RST seen at both ends is matched by time and what a packet keeps, not by a lower TTL or another IP ID', () => {
  const rst = (o: Partial<ResetContext>): ResetContext => ({
    conn: 0,
    frame: 1,
    time: 0,
    dir: 0,
    ttl: 60,
    ipId: 0,
    window: 0,
    seq: 42,
    ack: 7,
    withAck: true,
    hasTimestamps: false,
    payloadLen: 0,
    expectedSeq: null,
    senderLastIpId: null,
    previous: null,
    ...o,
  });
  const tol = sameTimeToleranceNs(1e6);
  assert.equal(tol, 50e6, 'never under the floor');
  assert.equal(sameTimeToleranceNs(NaN), 1e9, 'no bound on the offset: a second');
  const here = rst({});
  assert.ok(sameRst(here, rst({ ttl: 64 }), 0, 10e6, tol), 'the same packet, 4 hops earlier');
  assert.ok(!sameRst(here, rst({ ttl: 64 }), 0, 3e9, tol), '3 s apart');
  assert.ok(!sameRst(here, rst({ ttl: 59 }), 0, 0, tol), 'a TTL cannot rise on the way');
  assert.ok(!sameRst(here, rst({ ttl: 64, ipId: 17 }), 0, 0, tol), 'another IP ID');
  assert.ok(!sameRst(here, rst({ ttl: 64, hasTimestamps: true }), 0, 0, tol), 'options differ');
});

test('ttl: a zeroed TTL (anonymised traces) is unknown, never "32 hops"', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [0, 0];
  s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).rst(1, { ttl: 0 });
  const [v] = await verdicts(s.packets);
  const e = signal(v!, 'ttl');
  assert.equal(e.pointsTo, 'unknown');
  assert.equal(e.strength, 'weak');
  assert.match(e.caveat ?? '', /zeroed/);
  assert.doesNotMatch(e.detail, /hop/);
  // The baseline alone zeroed: the RST's own TTL cannot be compared with anything either.
  const t = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  t.ttl = [0, 0];
  t.handshake().send(0, 10).ack(1).send(1, 20).ack(0).rst(1, { ttl: 57 });
  const [w] = await verdicts(t.packets);
  assert.equal(signal(w!, 'ttl').pointsTo, 'unknown');
  assert.match(signal(w!, 'ttl').caveat ?? '', /carry TTL 0, a zeroed field/);
});

test('two-sided: the clock offset pairs repeated keepalive probes in order, not all with the first', async () => {
  // The client's capture clock runs 50 µs ahead; the server probes every 10 s and the client answers.
  const offsetNs = 50_000n;
  const [atServer, atClient] = bothEnds(offsetNs);
  for (const s of [atServer, atClient]) {
    s.handshake().send(0, 10).ack(1);
    for (let k = 0; k < 6; k++) s.wait(10).keepalive(1).ack(0);
  }
  const two = compareCaptures(await load(atServer.packets), await load(atClient.packets));
  assert.equal(two.comparison.matched.length, 1);
  const off = two.comparison.clockOffsetS!;
  assert.ok(Math.abs(off - Number(offsetNs) / 1e9) < 1e-3, `clock offset ${off} s, truth ${Number(offsetNs) / 1e9} s`);
});

test("multiple-rsts: the capturing host's own stack answering several segments is no injector", async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [60, 64];
  s.handshake().send(0, 10).ack(1).send(1, 20).ack(0);
  s.rst(1, { ttl: 64 })
    .rst(1, { ttl: 64, seq: 5021 + 1460 })
    .rst(1, { ttl: 64, seq: 5021 + 4380 });
  const [v] = await verdicts(s.packets);
  assert.equal(v!.attribution, 'local-stack');
  assert.ok(!v!.evidence.some((e) => e.signal === 'multiple-rsts'), JSON.stringify(v!.evidence));
});

test('ttl: both ends 0 hops from the capture (a mirror port) makes a local-stack TTL strong, not decisive', async () => {
  const run = async (clientTtl: number) => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.ttl = [clientTtl, 64];
    s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).rst(1, { ttl: 64 });
    return signal((await verdicts(s.packets))[0]!, 'ttl');
  };
  assert.equal((await run(60)).strength, 'decisive', 'the client 4 hops away: the capture is on the server');
  const mirror = await run(64);
  assert.equal(mirror.pointsTo, 'local-stack');
  assert.equal(mirror.strength, 'strong');
  assert.match(mirror.caveat ?? '', /both ends are 0 hops from the capture/);
});

test('socketless: a RST whose TTL matches the peer but has every mark of a socketless one is unknown from one side', async () => {
  // A firewall that copies the client's arrival TTL into its forged RST (nftables `ip ttl set`): seen at the server.
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [60, 64];
  s.timestamps = true;
  s.ipIds = [300, 700];
  s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).wait(30).keepalive(1);
  const [disguised] = await verdicts(s.rst(0, { ttl: 60, ipId: 0, win: 0 }).packets);
  assert.equal(disguised!.attribution, 'unknown', JSON.stringify(disguised!.evidence.map((e) => [e.signal, e.pointsTo, e.strength])));
  const e = signal(disguised!, 'socketless');
  assert.match(e.caveat ?? '', /a capture on the client .* decides it/);
  // The same TTL on a RST from a live socket (timestamps, a counting IP ID, a window) stays the peer's.
  const t = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  t.ttl = [60, 64];
  t.timestamps = true;
  t.ipIds = [300, 700];
  t.handshake().send(0, 10).ack(1).send(1, 20).ack(0).wait(30).keepalive(1);
  const [live] = await verdicts(t.rst(0, { ttl: 60, ipId: 305, win: 502, timestamps: true }).packets);
  assert.equal(live!.attribution, 'peer');
});

test("proxy: a RST with the handshake's TTL, where the data arrives at another, came from the SYN proxy (issue 21, item 4)", async () => {
  // As the trace: an L4 front end answers the handshake (TTL 57, its own IP IDs), the real
  // server's data arrives at TTL 49 with another IP ID sequence, and the RST continues the front end's.
  const proxied = () => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    s.ttl = [64, 57];
    s.ipIds = [300, 100];
    s.handshake();
    s.ttl = [64, 49];
    s.ipIds = [302, 30000];
    s.send(0, 10).ack(1).send(1, 20).ack(0).send(1, 20).ack(0).wait(30).send(0, 5);
    return s;
  };
  const [fromProxy] = await verdicts(proxied().rst(1, { ttl: 57, ipId: 101 }).packets);
  assert.equal(fromProxy!.attribution, 'middlebox', JSON.stringify(fromProxy!.evidence.map((e) => [e.signal, e.pointsTo, e.strength])));
  const proxy = signal(fromProxy!, 'proxy');
  assert.equal(proxy.pointsTo, 'middlebox');
  assert.equal(proxy.strength, 'strong');
  assert.match(proxy.detail, /SYN-ACK arrived with TTL 57, its data with 49/);
  // The TTL baseline is the data's (15 hops), not the handshake's: the RST is 8 hops closer than the server.
  assert.equal(signal(fromProxy!, 'ttl').pointsTo, 'middlebox');
  assert.match(signal(fromProxy!, 'ttl').detail, /arrive with TTL 49/);

  // The same connection, the RST from where the data comes from, from its live socket: not the proxy's.
  const [fromServer] = await verdicts(proxied().rst(1, { ttl: 49, ipId: 30003, win: 502 }).packets);
  assert.equal(fromServer!.attribution, 'peer');
  assert.equal(signal(fromServer!, 'proxy').pointsTo, 'peer');
});

test('proxy: a TTL that wobbles in the data phase too is no proxy split', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [64, 57];
  s.handshake().send(0, 10).ack(1).send(1, 20);
  s.ttl = [64, 56];
  s.ack(0).send(1, 20).ack(0).send(0, 5);
  const [v] = await verdicts(s.rst(1, { ttl: 57 }).packets);
  assert.equal(
    v!.evidence.find((e) => e.signal === 'proxy'),
    undefined,
  );
});

test('multiple-rsts: among the RSTs of the capturing host itself, an injected one (TTL 56, IP ID 1, no timestamps) is flagged', async () => {
  // Captured on the server (0 hops): its stack answers three segments with RSTs of its own, and one more RST claiming
  // to be from the server arrives from 8 hops away, something no packet this host sends can do.
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [60, 64];
  s.ipIds = [300, 7000];
  s.timestamps = true;
  s.handshake().send(0, 10).ack(1).send(1, 20).ack(0);
  s.rst(1, { ttl: 64 }).send(0, 5).rst(1, { ttl: 64 });
  s.rst(1, { ttl: 56, ipId: 1 });
  s.send(0, 5).rst(1, { ttl: 64 });
  const vs = await verdicts(s.packets);
  assert.equal(vs.length, 4);
  const injected = vs[2]!;
  assert.equal(injected.attribution, 'middlebox', JSON.stringify(injected.evidence));
  assert.ok(injected.confidence >= 0.7, `confidence ${injected.confidence}`);
  assert.equal(signal(injected, 'ttl').pointsTo, 'middlebox');
  for (const v of [vs[0]!, vs[1]!, vs[3]!]) {
    assert.equal(v.attribution, 'local-stack', JSON.stringify(v.evidence));
    assert.ok(!v.evidence.some((e) => e.signal === 'multiple-rsts'), 'the host resetting several segments is no injector');
  }
});
