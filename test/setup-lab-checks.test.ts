/**
 * The set-up lab's checkers on hand-made inputs, so that their verdicts can
 * be trusted before the producer of issue 24's set-up verdicts exists: a
 * report that follows the contract and the truth passes, each way of
 * getting it wrong fails, and the tshark signatures tell the kinds apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileReport } from '../src/model/analysis-report.js';
import type { SetupGroup, SetupTruth } from '../lab/setup/setup-truth.js';
import type { LabTruth } from '../lab/truth.js';
import { checkSetupAnalysis } from '../lab/verify/check-setup-analysis.js';
import { checkSetupCaptures } from '../lab/verify/check-setup-capture.js';
import { checkSetupKernel } from '../lab/verify/check-setup-kernel.js';
import { TCP, type Frame } from '../lab/verify/tshark-frames.js';

const CLIENT = '192.0.2.10';
const SERVER = { addr: '198.51.100.10', port: 5432 };
const none = { client: { min: 0, max: 0 }, server: { min: 0, max: 0 } };

function group(kind: SetupGroup['kind'], over: Partial<SetupGroup> = {}): SetupGroup {
  return {
    role: 'test',
    client: CLIENT,
    ports: [40000],
    server: SERVER,
    fromMs: null,
    kind,
    wrongKinds: [],
    synRetransmissions: none,
    synAckRetransmissions: none,
    completes: { client: false, server: false },
    setupS: { client: null, server: null },
    clientError: null,
    ...over,
  };
}

function truthOf(groups: SetupGroup[], counters: SetupTruth['counters']): LabTruth {
  return {
    scenario: 'unit',
    firewall: { staleFlowPackets: 0 },
    setup: { expectedKind: 'refused', groups, sysctls: { client: [], server: [] }, counters, listener: null, firewall: {} },
  } as unknown as LabTruth;
}

const noCounters: SetupTruth['counters'] = { expected: { client: {}, server: {} }, measured: { client: {}, server: {} } };

/** One connection's report at an edge, with the contract's fields when `setup` is given. */
function report(setup: object | undefined, verdict: object | null | undefined, rtt: number | null = null): FileReport {
  const conn = { id: 1, client: { addr: CLIENT, port: 40000 }, server: SERVER, start: '1800000000.000000000', handshakeRttS: rtt, setup };
  const diagnoses = verdict === undefined ? [] : [{ conn: 1, setup: verdict }];
  return { error: null, connections: [conn], diagnoses } as unknown as FileReport;
}

const failed = (checks: Array<{ ok: boolean; what: string }>): string[] => checks.filter((c) => !c.ok).map((c) => c.what);

test('a report that follows the contract passes; a missing, wrong or vague one fails', () => {
  const truth = truthOf([group({ client: 'refused', server: 'refused' })], noCounters);
  const refused = {
    conn: 1,
    kind: 'refused',
    confidence: 0.9,
    summary: 'port 5432 refused: nothing listens',
    evidence: ['RST answered the SYN'],
  };
  const setup = { synRetransmissions: 0, synAckRetransmissions: 0, setupS: null };
  const good = report(setup, refused);
  assert.deepEqual(failed(checkSetupAnalysis(truth, { client: good, server: good })), []);

  const today = report(undefined, undefined);
  assert.ok(failed(checkSetupAnalysis(truth, { client: today, server: today })).some((w) => w.includes('connections[].setup present')));
  const wrongKind = report(setup, { ...refused, kind: 'opening-reset' });
  assert.ok(failed(checkSetupAnalysis(truth, { client: wrongKind, server: good })).some((w) => w.includes('diagnoses[].setup.kind')));
  const noEvidence = report(setup, { ...refused, evidence: [] });
  assert.ok(failed(checkSetupAnalysis(truth, { client: good, server: noEvidence })).some((w) => w.includes('evidence')));
  const retried = report({ ...setup, synRetransmissions: 1 }, refused);
  assert.ok(failed(checkSetupAnalysis(truth, { client: retried, server: good })).some((w) => w.includes('synRetransmissions')));
});

test('set-up time and the handshake RTT: the RTT must be the final exchange, setupS the whole', () => {
  const truth = truthOf(
    [
      group(
        { client: null, server: null },
        {
          synRetransmissions: { client: { min: 2, max: 2 }, server: { min: 0, max: 0 } },
          completes: { client: true, server: true },
          setupS: { client: { min: 2.9, max: 3.5 }, server: null },
        },
      ),
    ],
    noCounters,
  );
  const server = report({ synRetransmissions: 0, synAckRetransmissions: 0, setupS: 0.0002 }, undefined, 0.0001);
  const right = report({ synRetransmissions: 2, synAckRetransmissions: 0, setupS: 3.01 }, undefined, 0.0001);
  assert.deepEqual(failed(checkSetupAnalysis(truth, { client: right, server })), []);
  // An RTT measured from the first SYN spans the retries.
  const acrossRetries = report({ synRetransmissions: 2, synAckRetransmissions: 0, setupS: 3.01 }, undefined, 3.01);
  assert.ok(failed(checkSetupAnalysis(truth, { client: acrossRetries, server })).some((w) => w.includes('handshakeRttS')));
  // A set-up verdict where the truth expects none is wrong too.
  const flagged = report(
    { synRetransmissions: 2, synAckRetransmissions: 0, setupS: 3.01 },
    { conn: 1, kind: 'syn-unanswered', confidence: 0.5, summary: 's', evidence: ['e'] },
    0.0001,
  );
  assert.ok(failed(checkSetupAnalysis(truth, { client: flagged, server })).some((w) => w.includes('diagnoses[].setup.kind')));
});

function frame(n: number, fromClient: boolean, flags: number, over: Partial<Frame> = {}): Frame {
  const c = { addr: CLIENT, port: 40000 };
  const [src, dst] = fromClient ? [c, SERVER] : [SERVER, c];
  return {
    n,
    t: 1800000000 + n / 1000,
    src: src.addr,
    sport: src.port,
    dst: dst.addr,
    dport: dst.port,
    ttl: 64,
    flags,
    len: 0,
    keepAlive: false,
    keepAliveAck: false,
    retransmission: false,
    ack: 0,
    ...over,
  };
}

test("tshark signatures: a RST to the SYN is 'refused', not 'syn-unanswered'; an overflow needs the unacknowledged data", () => {
  const refusedFrames = [frame(1, true, TCP.SYN), frame(2, false, TCP.RST | TCP.ACK, { ack: 1 })];
  const asRefused = truthOf([group({ client: 'refused', server: 'refused' })], noCounters);
  assert.deepEqual(failed(checkSetupCaptures(asRefused, { client: refusedFrames, server: refusedFrames })), []);
  const asUnanswered = truthOf([group({ client: 'syn-unanswered', server: 'syn-unanswered' })], noCounters);
  assert.equal(failed(checkSetupCaptures(asUnanswered, { client: refusedFrames, server: refusedFrames })).length, 2);

  const overflow = [
    frame(1, true, TCP.SYN),
    frame(2, false, TCP.SYN | TCP.ACK, { ack: 1 }),
    frame(3, true, TCP.ACK, { ack: 1 }),
    frame(4, true, TCP.ACK | 0x08, { ack: 1, len: 8 }),
    frame(5, false, TCP.SYN | TCP.ACK, { ack: 1, retransmission: true }),
  ];
  const asOverflow = truthOf(
    [
      group(
        { client: 'listen-overflow', server: 'listen-overflow' },
        { synAckRetransmissions: { client: { min: 1, max: 2 }, server: { min: 1, max: 2 } }, completes: { client: true, server: null } },
      ),
    ],
    { expected: { client: {}, server: {} }, measured: { client: {}, server: { ListenOverflows: 2 } } },
  );
  assert.deepEqual(failed(checkSetupCaptures(asOverflow, { client: overflow, server: overflow })), []);
  // The server acknowledged the data: accepted after all, no overflow.
  const acked = [...overflow.slice(0, 4), frame(5, false, TCP.ACK, { ack: 9 })];
  assert.ok(
    failed(checkSetupCaptures(asOverflow, { client: acked, server: acked })).some((w) => w.includes('packets show listen-overflow')),
  );
});

test('kernel figures outside what the scenario must cause fail, and a listener read without its backlog fails', () => {
  const truth = truthOf([], {
    expected: { client: {}, server: { ListenOverflows: { min: 2, max: Number.MAX_SAFE_INTEGER }, OutRsts: { min: 0, max: 0 } } },
    measured: { client: {}, server: { ListenOverflows: 12 } },
  });
  assert.deepEqual(failed(checkSetupKernel(truth)), []);
  truth.setup!.counters.measured.server.OutRsts = 1;
  assert.deepEqual(failed(checkSetupKernel(truth)), ["OutRsts delta in the server's namespace"]);
  truth.setup!.counters.measured.server.OutRsts = 0;
  truth.setup!.listener = {
    local: SERVER,
    requestedBacklog: 64,
    somaxconn: 8,
    expected: { queue: { min: 0, max: 0 }, backlog: 8, synRecv: { min: 9, max: 9 } },
    measured: { queue: 0, backlog: null, synRecv: 9, source: 'proc' },
  };
  assert.ok(failed(checkSetupKernel(truth)).some((w) => w.includes('capped at somaxconn')));
});
