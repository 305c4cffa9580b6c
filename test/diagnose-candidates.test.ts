import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture, type CaptureDiagnosis } from '../src/diagnose/diagnose-capture.js';
import { buildPcap } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';

// Which connections diagnosis looks at is decided from state the tracker keeps
// (is the last logged packet still unanswered?), and a RST's trigger idle is noted
// when the RST arrives: these check both against what the packets say.

const dir = mkdtempSync(join(tmpdir(), 'kad-candidates-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const CLIENT = { addr: '192.0.2.10', port: 40000 };
const SERVER = { addr: '198.51.100.10', port: 5432 };
const T0 = 1_700_000_000_000_000_000n;

async function diagnose(s: TcpScript): Promise<CaptureDiagnosis> {
  const file = join(dir, `c${n++}.pcap`);
  writeFileSync(file, buildPcap(s.packets, { link: 'ether', nano: true }));
  return diagnoseCapture(await analyzeCapture(file));
}

test('keepalive probes that nothing answers are a silent drop', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.handshake().send(0, 10).ack(1).wait(7200).keepalive(1).wait(75).keepalive(1).wait(75).keepalive(1);
  const d = await diagnose(s);
  assert.equal(d.diagnoses.length, 1);
  const drop = d.diagnoses[0]!.silentDrop;
  assert.ok(drop, 'a silent drop');
  assert.equal(drop.sender, 'server');
  assert.equal(drop.keepalives, 3);
  assert.ok(Math.abs(drop.idleBeforeS - 7200) < 0.01, `idle ${drop.idleBeforeS}`);
});

test('an answer that is not itself logged still answers the last logged packet', async () => {
  const script = (answered: boolean): TcpScript => {
    const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
    // Sends after a silence are logged; the last one (same side, no silence) is not,
    // and neither is the server's plain ACK that follows it.
    s.handshake().send(0, 10).ack(1).wait(600).send(0, 10).wait(3).send(0, 10).send(0, 10);
    if (answered) s.ack(1);
    return s;
  };
  assert.deepEqual((await diagnose(script(true))).diagnoses, []);
  const drop = (await diagnose(script(false))).diagnoses[0]?.silentDrop;
  assert.equal(drop?.sender, 'client', 'without the ACK the sends went unanswered');
});

test('packets after the last answer are counted, earlier ones are not', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.handshake().send(0, 10).ack(1).wait(300).keepalive(0).ack(1).wait(300).keepalive(0).wait(75).keepalive(0);
  const drop = (await diagnose(s)).diagnoses[0]?.silentDrop;
  assert.ok(drop, 'a silent drop');
  assert.equal(drop.keepalives, 2, 'the answered probe is not part of the drop');
  assert.ok(Math.abs(drop.idleBeforeS - 300) < 0.01, `idle ${drop.idleBeforeS}`);
});

test('a RST answering a keepalive carries the silence before the probe', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.handshake().send(0, 10).ack(1).wait(7200).keepalive(1).rst(0, { withAck: false });
  const v = (await diagnose(s)).diagnoses[0]?.resets[0];
  assert.ok(v?.trigger, 'the RST has a trigger');
  assert.equal(v.trigger.kind, 'keepalive');
  assert.ok(Math.abs(v.trigger.idleBeforeS - 7200) < 0.01, `idle ${v.trigger.idleBeforeS}`);
  // A RST right after busy traffic answers a packet that was not logged: no idle to speak of.
  const t = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  t.handshake().send(0, 10).ack(1).send(0, 10).rst(1, { withAck: false });
  const w = (await diagnose(t)).diagnoses[0]?.resets[0];
  assert.ok(w?.trigger, 'the RST has a trigger');
  assert.equal(w.trigger.idleBeforeS, 0);
});

test("a RST awaits no answer: probes that end in the sender's own RST are found through the RST", async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.handshake().send(0, 10).ack(1).wait(300).keepalive(0).wait(75).keepalive(0).wait(75).keepalive(0).wait(75).rst(0);
  const file = join(dir, `c${n++}.pcap`);
  writeFileSync(file, buildPcap(s.packets, { link: 'ether', nano: true }));
  const analysis = await analyzeCapture(file);
  // The last logged packet is the RST, which nothing answers: the unanswered flag is clear.
  assert.equal(analysis.tracker.unansweredTails().lastUnanswered(0), false);
  const d = diagnoseCapture(analysis).diagnoses[0];
  assert.equal(d?.resets.length, 1, 'the connection is a candidate through its RST');
  assert.equal(d.silentDrop?.keepalives, 3);
  assert.equal(d.silentDrop.end, 'local-rst');
});
