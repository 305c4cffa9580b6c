/**
 * No crash, hang or stack trace on any malformed capture (issue 2).
 *
 * Small valid captures (pcap µs LE, pcap ns BE, pcapng with two interfaces,
 * gzip) are damaged deterministically — truncated, bit-flipped, bytes set to
 * 0x00 / 0xFF, hand-crafted nasty headers and frames — and `kad analyze` is
 * run on each in a child process with a timeout. Every run must end, and
 * either succeed with a valid report or fail with exactly one stderr line
 * naming the input (`FILE: at byte offset N: reason` where an offset applies).
 *
 * A second, in-process sweep runs the pipeline on every truncation offset and
 * thousands of mutations inside a worker thread (helpers/malformed-sweep-worker.ts,
 * terminated if it stops making progress), to cover far more cases than
 * processes could. The files are laid out by helpers/capture-writer.ts.
 *
 * Failures name the seed, the damage and a saved copy of the input, so any
 * case can be replayed with the printed command. KAD_ROBUSTNESS_SEED changes
 * the seed to explore further, KAD_ROBUSTNESS_SWEEP=N the number of in-process
 * mutations per capture, KAD_ROBUSTNESS_VERBOSE=1 prints every run's message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import {
  buildPcapRaw,
  PCAP_HEADER_BYTES,
  PCAP_RECORD_HEADER_BYTES,
  pcapRecordOffsets,
  PcapngWriter,
  type RawFrame,
} from './helpers/capture-writer.js';
import type { SweepMessage, SweepWorkerData } from './helpers/malformed-sweep-worker.js';
import { itemAt, xorByte } from './helpers/checked.js';
import { Rng } from './helpers/rng.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KAD = join(ROOT, 'bin', 'kad');
const SEED = Number(process.env.KAD_ROBUSTNESS_SEED ?? 0x5eed2024) >>> 0;
const TIMEOUT_MS = 10_000;
const PARALLEL = 4;
const FAIL_DIR = join(tmpdir(), 'kad-robustness-failures');
/** One bug usually fails many cases: keep the report (and the saved inputs) readable. */
const MAX_REPORTED = 30;
/** KAD_ROBUSTNESS_VERBOSE=1 prints every run's exit code and stderr, to review the messages themselves. */
const VERBOSE = process.env.KAD_ROBUSTNESS_VERBOSE === '1';
/** KAD_ROBUSTNESS_SWEEP=N runs N mutations per base capture in the in-process sweep (default 1000), to hunt further. */
const SWEEP_MUTATIONS = Number(process.env.KAD_ROBUSTNESS_SWEEP ?? 1000);

// ------------------------------------------------------------------ frames

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_PSH = 0x08;
const TH_ACK = 0x10;

interface Tcp {
  v6: boolean;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  len?: number;
  syn?: boolean; // carry SYN options
  win?: number;
}

function tcpHeader(t: Tcp): Buffer {
  const opts = t.syn
    ? Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 3, 7])
    : Buffer.from([1, 1, 8, 10, 0, 0, 2, 0, 0, 0, 1, 0]);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(t.sport, 0);
  h.writeUInt16BE(t.dport, 2);
  h.writeUInt32BE(t.seq >>> 0, 4);
  h.writeUInt32BE(t.ack >>> 0, 8);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = t.flags;
  h.writeUInt16BE(t.win ?? 502, 14);
  return Buffer.concat([h, opts, Buffer.alloc(t.len ?? 0, 0x61)]);
}

function ipChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipPacket(v6: boolean, src: number[], dst: number[], proto: number, l4: Buffer, ttl = 64): Buffer {
  if (v6) {
    const h = Buffer.alloc(40);
    h.writeUInt32BE(0x60000000, 0);
    h.writeUInt16BE(l4.length, 4);
    h[6] = proto;
    h[7] = ttl;
    Buffer.from(src).copy(h, 8);
    Buffer.from(dst).copy(h, 24);
    return Buffer.concat([h, l4]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE(0x4000, 6);
  h[8] = ttl;
  h[9] = proto;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  h.writeUInt16BE(ipChecksum(h), 10);
  return Buffer.concat([h, l4]);
}

function ether(ip: Buffer, type = -1): Buffer {
  const h = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0, 0]);
  h.writeUInt16BE(type >= 0 ? type : ip.readUInt8(0) >> 4 === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([h, ip]);
}

const tcpIp = (t: Tcp): Buffer => ipPacket(t.v6, t.src, t.dst, 6, tcpHeader(t));

interface Frame {
  /** ns since the epoch. */
  ts: bigint;
  /** The IP packet; the container adds the link layer. */
  ip: Buffer | null;
  /** A non-IP Ethernet frame (ARP), when ip is null. */
  raw?: Buffer;
}

const C4 = [10, 1, 0, 2];
const S4 = [10, 1, 0, 1];
const C6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const S6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/** 20 frames: a full IPv4 connection with a keepalive, an IPv6 one ended by RST, a refused SYN, UDP and ARP. */
function conversation(): Frame[] {
  const t0 = 1_700_000_000_000_000_000n;
  const c = (seq: number, ack: number, flags: number, len = 0, syn = false): Buffer =>
    tcpIp({ v6: false, src: C4, dst: S4, sport: 40000, dport: 443, seq, ack, flags, len, syn });
  const s = (seq: number, ack: number, flags: number, len = 0, syn = false): Buffer =>
    tcpIp({ v6: false, src: S4, dst: C4, sport: 443, dport: 40000, seq, ack, flags, len, syn });
  const c6 = (seq: number, ack: number, flags: number, len = 0, syn = false): Buffer =>
    tcpIp({ v6: true, src: C6, dst: S6, sport: 40001, dport: 22, seq, ack, flags, len, syn });
  const s6 = (seq: number, ack: number, flags: number, len = 0, syn = false): Buffer =>
    tcpIp({ v6: true, src: S6, dst: C6, sport: 22, dport: 40001, seq, ack, flags, len, syn });
  const udp = Buffer.alloc(8 + 12);
  udp.writeUInt16BE(53000, 0);
  udp.writeUInt16BE(53, 2);
  udp.writeUInt16BE(udp.length, 4);
  const arp = ether(Buffer.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, ...C4, 0, 0, 0, 0, 0, 0, ...S4]), 0x0806);
  const ips: Array<Buffer | null> = [
    c(1000, 0, TH_SYN, 0, true),
    s(5000, 1001, TH_SYN | TH_ACK, 0, true),
    c(1001, 5001, TH_ACK),
    c6(7000, 0, TH_SYN, 0, true),
    c(1001, 5001, TH_PSH | TH_ACK, 100),
    s6(9000, 7001, TH_SYN | TH_ACK, 0, true),
    s(5001, 1101, TH_PSH | TH_ACK, 300),
    c6(7001, 9001, TH_ACK),
    c(1101, 5301, TH_ACK),
    ipPacket(false, C4, S4, 17, udp),
    c6(7001, 9001, TH_PSH | TH_ACK, 50),
    null,
    c(1100, 5301, TH_ACK), // keepalive: seq = next - 1
    s(5301, 1101, TH_ACK), // keepalive ACK
    s6(9001, 7051, TH_RST),
    tcpIp({ v6: false, src: C4, dst: S4, sport: 40002, dport: 8080, seq: 42, ack: 0, flags: TH_SYN, syn: true }),
    tcpIp({ v6: false, src: S4, dst: C4, sport: 8080, dport: 40002, seq: 0, ack: 43, flags: TH_RST | TH_ACK, win: 0 }),
    c(1101, 5301, TH_FIN | TH_ACK),
    s(5301, 1102, TH_FIN | TH_ACK),
    c(1102, 5302, TH_ACK),
  ];
  // Sub-microsecond parts make ns-precision readers and µs ones differ, as they should.
  return ips.map((ip, i) => ({ ts: t0 + BigInt(i) * 1_234_567_891n + 123n, ip, raw: ip ? undefined : arp }));
}

const BASE_FRAMES = 20;
const BASE_TCP = 18;
const BASE_CONNS = 3;

// ------------------------------------------------------------------ containers

interface Built {
  bytes: Buffer;
  /** Offsets where a record / block header starts: the most sensitive bytes. */
  structure: number[];
  /** End of the file header(s) and first record header: "every offset in the headers". */
  headerEnd: number;
}

/** Ethernet for IP frames; the ARP frame as it is. */
const rawFrameOf = (f: Frame): RawFrame => ({ tsNs: f.ts, data: f.ip ? ether(f.ip) : f.raw! });

function pcap(frames: Frame[], o: { ns: boolean; be: boolean }): Built {
  const raw = frames.map(rawFrameOf);
  return {
    bytes: buildPcapRaw(raw, { linkType: 1, snaplen: 65535, nano: o.ns, bigEndian: o.be }),
    structure: [0, ...pcapRecordOffsets(raw)],
    headerEnd: PCAP_HEADER_BYTES + PCAP_RECORD_HEADER_BYTES,
  };
}

/** SHB, IDB 0 Ethernet with ns resolution, IDB 1 raw IP in µs, EPBs on both, an SPB, and an ISB. */
function pcapng(frames: Frame[]): Built {
  const w = new PcapngWriter()
    .shb({ options: [[4, 'robustness-test']] })
    .idb({ linkType: 1, snaplen: 65535, options: [[2, 'eth0']], tsresol: 9 })
    .idb({ linkType: 101, snaplen: 65535, options: [[2, 'tun0']] });
  let lastTs = 0n;
  frames.forEach((f, i) => {
    if (!f.ip) {
      w.spb(rawFrameOf(f));
      return;
    }
    // IPv6 frames go out on the raw-IP interface, so both link types and both resolutions are exercised.
    const iface = f.ip.readUInt8(0) >> 4 === 6 ? 1 : 0;
    w.epb(iface, { tsNs: f.ts, data: iface === 0 ? ether(f.ip) : f.ip }, i % 5 === 0 ? { options: [[1, `frame ${i + 1}`]] } : {});
    lastTs = f.ts;
  });
  w.isb(0, lastTs, { ifdrop: 0n });
  const structure = w.offsets();
  // Up to the first packet block's fields: "every offset in the headers".
  return { bytes: w.toBuffer(), structure, headerEnd: itemAt(structure, 3, 'pcapng block') + 28 };
}

// ------------------------------------------------------------------ running kad

type Mode = 'text' | 'json' | 'events';

interface Case {
  id: string;
  /** How the input was made, enough to rebuild it from the seed. */
  how: string;
  bytes?: Buffer;
  /** Path to pass instead of writing `bytes` (directory, missing file). */
  path?: string;
  stdin?: boolean;
  mode: Mode;
  /** Must succeed with a report of this many TCP packets (baselines). */
  expectTcp?: number;
  /** Byte offsets in the error must lie inside the input (false for gzip: they count decompressed bytes). */
  offsetWithin?: number;
}

interface Outcome {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

function runKad(args: string[], stdin: Buffer | null): Promise<Outcome> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.KAD_DEBUG;
    const t0 = Date.now();
    const child = spawn(process.execPath, [KAD, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // kad may exit before reading all of stdin (e.g. on a bad magic number): not an error here.
    child.stdin.on('error', () => {});
    if (stdin) child.stdin.end(stdin);
    else child.stdin.end();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - t0,
      });
    });
  });
}

const STACK_MARKERS = [
  /^\s+at /m,
  /TypeError/,
  /RangeError/,
  /ReferenceError/,
  /SyntaxError: (?!.*JSON)/,
  /node:internal/,
  /internal error/,
  /Uncaught/,
];

/** Returns what is wrong with one run, or null. */
function judge(c: Case, file: string, r: Outcome): string | null {
  if (r.timedOut) return `hang: killed after ${TIMEOUT_MS} ms`;
  if (r.signal) return `killed by ${r.signal}`;
  for (const re of STACK_MARKERS) {
    if (re.test(r.stderr)) return `stack trace / internal error on stderr (${re}): ${r.stderr.slice(0, 600)}`;
    if (re.test(r.stdout.slice(0, 20000)) && c.mode === 'text') return `stack trace on stdout (${re})`;
  }
  if (r.code === 0) {
    if (c.mode === 'json') {
      let doc: { tool?: unknown; files?: Array<{ frames?: unknown; tcpPackets?: unknown; connections?: unknown[] }> };
      try {
        doc = JSON.parse(r.stdout) as typeof doc;
      } catch (e) {
        return `exit 0 but stdout is not JSON: ${(e as Error).message}: ${r.stdout.slice(0, 200)}`;
      }
      const file0 = doc.files?.[0];
      if (doc.tool !== 'keepalive-doctor' || !Array.isArray(doc.files) || doc.files.length !== 1 || file0 === undefined) {
        return `exit 0 but the JSON is not one file's report: ${r.stdout.slice(0, 200)}`;
      }
      if (c.expectTcp !== undefined && file0.frames !== BASE_FRAMES) {
        return `expected ${BASE_FRAMES} frames, report says ${String(file0.frames)}`;
      }
      if (c.expectTcp !== undefined && file0.tcpPackets !== c.expectTcp) {
        return `expected ${c.expectTcp} TCP packets, report says ${String(file0.tcpPackets)}`;
      }
      if (c.expectTcp !== undefined && file0.connections?.length !== BASE_CONNS) {
        return `expected ${BASE_CONNS} connections, report has ${file0.connections?.length}`;
      }
    } else if (c.mode === 'events') {
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      for (const [i, l] of lines.entries()) {
        try {
          const ev = JSON.parse(l) as { frame?: unknown; kind?: unknown };
          if (typeof ev.frame !== 'number' || typeof ev.kind !== 'string') return `event line ${i + 1} lacks frame/kind: ${l}`;
        } catch {
          return `event line ${i + 1} is not JSON: ${l.slice(0, 200)}`;
        }
      }
      if (c.expectTcp !== undefined && lines.length !== c.expectTcp) return `expected ${c.expectTcp} event lines, got ${lines.length}`;
    } else if (c.expectTcp !== undefined && r.stdout.trim() === '') {
      return 'exit 0 but no report on stdout';
    }
    return null;
  }
  if (c.expectTcp !== undefined) return `valid capture rejected (exit ${r.code}): ${r.stderr.trim()}`;
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  const line = lines[0];
  if (lines.length !== 1 || line === undefined || line.trim() === '')
    return `exit ${r.code}: stderr is not exactly one line: ${JSON.stringify(r.stderr.slice(0, 600))}`;
  const names = c.stdin ? ['stdin', '-'] : [file];
  if (!names.some((n) => line.includes(n))) return `error does not name the input (${names.join(' or ')}): ${line}`;
  if (/byte offset/.test(line)) {
    const m = /: at byte offset (\d+): \S/.exec(line);
    if (!m) return `malformed offset message (want "FILE: at byte offset N: reason"): ${line}`;
    if (c.offsetWithin !== undefined && Number(m[1]) > c.offsetWithin)
      return `offset ${m[1]} is past the end of the ${c.offsetWithin}-byte input: ${line}`;
  }
  return null;
}

function argsFor(mode: Mode, input: string): string[] {
  return mode === 'json' ? ['analyze', input, '--json'] : mode === 'events' ? ['analyze', input, '--events'] : ['analyze', input];
}

interface Tally {
  cases: number;
  ok0: number;
  errors: number;
  withOffset: number;
  failures: string[];
  slowestMs: number;
}

async function runCases(dir: string, cases: Case[]): Promise<Tally> {
  const tally: Tally = { cases: cases.length, ok0: 0, errors: 0, withOffset: 0, failures: [], slowestMs: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = itemAt(cases, next++, 'case');
      const file = c.path ?? join(dir, `${c.id}.bin`);
      if (c.bytes && !c.stdin) writeFileSync(file, c.bytes);
      const input = c.stdin ? '-' : file;
      const r = await runKad(argsFor(c.mode, input), c.stdin ? (c.bytes ?? Buffer.alloc(0)) : null);
      tally.slowestMs = Math.max(tally.slowestMs, r.ms);
      if (r.code === 0) tally.ok0++;
      else tally.errors++;
      if (/at byte offset \d+/.test(r.stderr)) tally.withOffset++;
      const problem = judge(c, file, r);
      if (VERBOSE)
        console.log(`# ${c.id} (${c.how}) [${c.mode}] exit ${r.code} ${r.ms} ms: ${r.stderr.trim().replace(/\n/g, ' | ').slice(0, 300)}`);
      if (problem && tally.failures.length >= MAX_REPORTED) {
        tally.failures.push(`[${c.id}] ${(problem.split('\n')[0] ?? '').slice(0, 200)}`);
      } else if (problem) {
        let saved = '';
        if (c.bytes) {
          mkdirSync(FAIL_DIR, { recursive: true });
          saved = join(FAIL_DIR, `${c.id}.bin`);
          writeFileSync(saved, c.bytes);
        }
        const repro = saved
          ? c.stdin
            ? `node bin/kad ${argsFor(c.mode, '-').join(' ')} < ${saved}`
            : `node bin/kad ${argsFor(c.mode, saved).join(' ')}`
          : `node bin/kad ${argsFor(c.mode, input).join(' ')}`;
        tally.failures.push(`[${c.id}] ${c.how}\n    ${problem}\n    repro: ${repro}`);
      } else if (c.bytes && !c.stdin && !c.path) {
        rmSync(file, { force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return tally;
}

function report(name: string, t: Tally): void {
  console.log(
    `# ${name}: ${t.cases} runs, ${t.ok0} exit 0, ${t.errors} clean errors (${t.withOffset} with a byte offset), ` +
      `${t.failures.length} failures, slowest ${t.slowestMs} ms`,
  );
  const shown = t.failures.slice(0, MAX_REPORTED * 2).join('\n');
  assert.equal(
    t.failures.length,
    0,
    `${t.failures.length} of ${t.cases} runs failed (seed ${SEED}, inputs saved in ${FAIL_DIR}):\n${shown}`,
  );
}

// ------------------------------------------------------------------ damage

interface Base {
  name: string;
  built: Built;
}

function truncations(b: Base, rng: Rng, headerStep: number, boundaries: number, bodyCount: number): number[] {
  const n = b.built.bytes.length;
  const cuts = new Set<number>();
  for (let i = 0; i < Math.min(b.built.headerEnd, n); i += headerStep) cuts.add(i);
  // Either side of some record / block boundaries, where off-by-one errors live.
  for (let k = 0; k < boundaries; k++) {
    const s = itemAt(b.built.structure, rng.int(b.built.structure.length), 'structure offset');
    for (const d of [-1, 1]) if (s + d > 0 && s + d < n) cuts.add(s + d);
  }
  while (cuts.size < Math.ceil(b.built.headerEnd / headerStep) + 2 * boundaries + bodyCount) {
    cuts.add(b.built.headerEnd + rng.int(n - b.built.headerEnd));
  }
  cuts.add(n - 1);
  return [...cuts].sort((a, z) => a - z);
}

type Mutation = { pos: number; op: 'flip' | 'zero' | 'ff'; bit: number };

function mutation(b: Base, rng: Rng): Mutation {
  const n = b.built.bytes.length;
  const r = rng.next();
  let pos: number;
  if (r < 0.34) pos = rng.int(Math.min(b.built.headerEnd, n));
  else if (r < 0.67) {
    const s = itemAt(b.built.structure, rng.int(b.built.structure.length), 'structure offset');
    pos = Math.min(n - 1, s + rng.int(28));
  } else pos = rng.int(n);
  const k = rng.int(3);
  return { pos, op: k === 0 ? 'flip' : k === 1 ? 'zero' : 'ff', bit: rng.int(8) };
}

function applyMutation(bytes: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(bytes);
  out[m.pos] = m.op === 'flip' ? out.readUInt8(m.pos) ^ (1 << m.bit) : m.op === 'zero' ? 0 : 0xff;
  return out;
}

const describeMutation = (m: Mutation): string =>
  m.op === 'flip' ? `flip bit ${m.bit} of byte ${m.pos}` : `set byte ${m.pos} to ${m.op === 'zero' ? '0x00' : '0xFF'}`;

const modeOf = (i: number): Mode => itemAt(['json', 'text', 'json', 'events'] as const, i % 4, 'mode');

// ------------------------------------------------------------------ crafted inputs

function craftedContainers(bases: Base[]): Array<{ id: string; how: string; bytes: Buffer }> {
  const [us, ns, ng] = bases.map((b) => b.built);
  assert.ok(us && ns && ng, `craftedContainers needs the pcap µs, pcap ns and pcapng bases, got ${bases.length}`);
  const shbEnd = itemAt(ng.structure, 1, 'pcapng block'); // end of the SHB: where the first IDB starts
  const out: Array<{ id: string; how: string; bytes: Buffer }> = [];
  const edit = (id: string, how: string, src: Built, fn: (b: Buffer) => void): void => {
    const b = Buffer.from(src.bytes);
    fn(b);
    out.push({ id, how, bytes: b });
  };
  const rec1 = itemAt(us.structure, 1, 'pcap record');
  const blk = itemAt(ng.structure, 3, 'pcapng block'); // first packet block
  edit('pcap-caplen-4g', 'pcap: first record caplen 0xFFFFFFFF', us, (b) => b.writeUInt32LE(0xffffffff, rec1 + 8));
  edit('pcap-caplen-gt-orig', 'pcap: caplen > origlen (origlen 10)', us, (b) => b.writeUInt32LE(10, rec1 + 12));
  edit('pcap-caplen-0', 'pcap: first record caplen 0 (then misaligned)', us, (b) => b.writeUInt32LE(0, rec1 + 8));
  edit('pcap-snaplen-0', 'pcap: snaplen 0 in the file header', us, (b) => b.writeUInt32LE(0, 16));
  edit('pcap-linktype-147', 'pcap: unknown link type 147 (USER0)', us, (b) => b.writeUInt32LE(147, 20));
  edit('pcap-linktype-max', 'pcap: link type 0xFFFFFFFF', ns, (b) => b.writeUInt32BE(0xffffffff, 20));
  edit('pcap-usec-1e9', 'pcap µs: usec field 999999999 (out of range)', us, (b) => b.writeUInt32LE(999_999_999, rec1 + 4));
  edit('pcap-version-99', 'pcap: version 99.99', us, (b) => {
    b.writeUInt16LE(99, 4);
    b.writeUInt16LE(99, 6);
  });
  edit('png-blocklen-0', 'pcapng: first packet block length 0', ng, (b) => b.writeUInt32LE(0, blk + 4));
  edit('png-blocklen-12', 'pcapng: first packet block length 12 (no body)', ng, (b) => b.writeUInt32LE(12, blk + 4));
  edit('png-blocklen-odd', 'pcapng: first packet block length not a multiple of 4', ng, (b) =>
    b.writeUInt32LE(b.readUInt32LE(blk + 4) + 1, blk + 4),
  );
  edit('png-blocklen-huge', 'pcapng: first packet block length 0xFFFFFFFC', ng, (b) => b.writeUInt32LE(0xfffffffc, blk + 4));
  edit('png-trailer-mismatch', 'pcapng: trailing block length differs from the leading one', ng, (b) => {
    const len = b.readUInt32LE(blk + 4);
    b.writeUInt32LE(len + 4, blk + len - 4);
  });
  edit('png-bad-iface', 'pcapng: EPB on interface 7 (only 0 and 1 defined)', ng, (b) => b.writeUInt32LE(7, blk + 8));
  edit('png-epb-caplen-huge', 'pcapng: EPB caplen larger than the block', ng, (b) => b.writeUInt32LE(0x7fffffff, blk + 20));
  edit('png-bom', 'pcapng: SHB byte-order magic garbage', ng, (b) => b.writeUInt32LE(0xdeadbeef, 8));
  edit('png-tsresol-ff', 'pcapng: if_tsresol 0xFF (2^-127 s)', ng, (b) => {
    const i = b.indexOf(Buffer.from([9, 0, 1, 0, 9]), shbEnd);
    b[i + 4] = 0xff;
  });
  edit('png-tsresol-7f', 'pcapng: if_tsresol 0x7F (10^-127 s)', ng, (b) => {
    const i = b.indexOf(Buffer.from([9, 0, 1, 0, 9]), shbEnd);
    b[i + 4] = 0x7f;
  });
  edit('png-tsresol-0', 'pcapng: if_tsresol 0 (1 s ticks: timestamps in the year 5e10)', ng, (b) => {
    const i = b.indexOf(Buffer.from([9, 0, 1, 0, 9]), shbEnd);
    b[i + 4] = 0;
  });
  edit('png-ts-huge', 'pcapng: timestamp high word 0xFFFFFFFF in the first µs-interface EPB (year ~580000)', ng, (b) => {
    const at = ng.structure.find((o) => b.readUInt32LE(o) === 6 && b.readUInt32LE(o + 8) === 1)!;
    b.writeUInt32LE(0xffffffff, at + 12);
  });
  edit('png-opt-overflow', 'pcapng: IDB option length runs past the block', ng, (b) => {
    const i = b.indexOf(Buffer.from('eth0'));
    b.writeUInt16LE(0xfff0, i - 2);
  });
  {
    // An EPB before any IDB.
    const b = Buffer.concat([ng.bytes.subarray(0, shbEnd), ng.bytes.subarray(blk)]);
    out.push({ id: 'png-no-idb', how: 'pcapng: packet blocks with no interface description', bytes: b });
  }
  // A second section in the other byte order: valid, must be read.
  const be = new PcapngWriter().shb({ bigEndian: true }).toBuffer();
  out.push({
    id: 'png-two-sections',
    how: 'pcapng: a second, big-endian SHB with no interfaces, then EOF',
    bytes: Buffer.concat([ng.bytes, be]),
  });
  out.push({ id: 'pcap-header-only', how: 'pcap: file header and nothing else', bytes: us.bytes.subarray(0, 24) });
  out.push({ id: 'png-shb-only', how: 'pcapng: SHB and nothing else', bytes: ng.bytes.subarray(0, shbEnd) });
  return out;
}

/** Frames that are themselves malformed, each in its own otherwise valid pcap. */
function craftedFrames(): Array<{ id: string; how: string; bytes: Buffer }> {
  const t0 = 1_700_000_000_000_000_000n;
  const base = (): Buffer => tcpIp({ v6: false, src: C4, dst: S4, sport: 40000, dport: 443, seq: 1, ack: 1, flags: TH_ACK, len: 10 });
  const v6 = (): Buffer => tcpIp({ v6: true, src: C6, dst: S6, sport: 40000, dport: 443, seq: 1, ack: 1, flags: TH_ACK, len: 10 });
  const make = (id: string, how: string, ip: Buffer, snap?: number): { id: string; how: string; bytes: Buffer } => {
    const good = base();
    const built = pcap(
      [
        { ts: t0, ip: good },
        { ts: t0 + 1000n, ip },
        { ts: t0 + 2000n, ip: good },
      ],
      { ns: false, be: false },
    );
    let bytes = built.bytes;
    if (snap !== undefined) {
      // Cut the middle frame's captured bytes, keeping its wire length.
      const at = itemAt(built.structure, 2, 'pcap record');
      const caplen = bytes.readUInt32LE(at + 8);
      const keep = Math.min(snap, caplen);
      const head = Buffer.from(bytes.subarray(0, at + 16 + keep));
      head.writeUInt32LE(keep, at + 8);
      bytes = Buffer.concat([head, bytes.subarray(at + 16 + caplen)]);
    }
    return { id, how, bytes };
  };
  const set = (b: Buffer, fn: (b: Buffer) => void): Buffer => {
    fn(b);
    return b;
  };
  const tcpAt = 20;
  const extHeaders = (n: number, last = 6): Buffer => {
    // A chain of n hop-by-hop / destination-options headers before TCP.
    const p = v6();
    const tcp = p.subarray(40);
    const exts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const e = Buffer.alloc(8);
      e[0] = i === n - 1 ? last : 60;
      exts.push(e);
    }
    const h = Buffer.from(p.subarray(0, 40));
    h[6] = 0;
    h.writeUInt16BE(8 * n + tcp.length, 4);
    return Buffer.concat([h, ...exts, tcp]);
  };
  return [
    make(
      'frame-tcp-doff-0',
      'TCP data offset 0',
      set(base(), (b) => (b[tcpAt + 12] = 0x00)),
    ),
    make(
      'frame-tcp-doff-15',
      'TCP data offset 15 (60 bytes) past the segment',
      set(base(), (b) => (b[tcpAt + 12] = 0xf0)),
    ),
    make(
      'frame-tcp-optlen-0',
      'TCP option with length 0 (classic infinite loop)',
      set(base(), (b) => {
        b[tcpAt + 20] = 8;
        b[tcpAt + 21] = 0;
      }),
    ),
    make(
      'frame-tcp-optlen-1',
      'TCP option with length 1',
      set(base(), (b) => {
        b[tcpAt + 20] = 2;
        b[tcpAt + 21] = 1;
      }),
    ),
    make(
      'frame-tcp-optlen-long',
      'TCP option length 255 runs past the header',
      set(base(), (b) => {
        b[tcpAt + 22] = 8;
        b[tcpAt + 23] = 255;
      }),
    ),
    make(
      'frame-ip-ihl-15',
      'IPv4 IHL 15 (60-byte header) past the packet',
      set(base(), (b) => (b[0] = 0x4f)),
    ),
    make(
      'frame-ip-ihl-2',
      'IPv4 IHL 2 (< 5)',
      set(base(), (b) => (b[0] = 0x42)),
    ),
    make(
      'frame-ip-totlen-0',
      'IPv4 total length 0 (TSO capture)',
      set(base(), (b) => b.writeUInt16BE(0, 2)),
    ),
    make(
      'frame-ip-totlen-10',
      'IPv4 total length 10 (< header)',
      set(base(), (b) => b.writeUInt16BE(10, 2)),
    ),
    make(
      'frame-ip-totlen-huge',
      'IPv4 total length 65535 (> captured)',
      set(base(), (b) => b.writeUInt16BE(65535, 2)),
    ),
    make(
      'frame-ip-fragment',
      'IPv4 non-first fragment carrying "TCP"',
      set(base(), (b) => b.writeUInt16BE(0x2010, 6)),
    ),
    make(
      'frame-ip-version-5',
      'IP version 5',
      set(base(), (b) => (b[0] = 0x55)),
    ),
    make(
      'frame-ip6-paylen-0',
      'IPv6 payload length 0 (jumbogram without option)',
      set(v6(), (b) => b.writeUInt16BE(0, 4)),
    ),
    make('frame-ip6-ext-chain', 'IPv6 with 40 chained extension headers', extHeaders(40)),
    make(
      'frame-ip6-ext-len-huge',
      'IPv6 extension header length 255 past the packet',
      set(extHeaders(1), (b) => (b[41] = 255)),
    ),
    make('frame-snap-mid-ip', 'frame cut by snaplen inside the IP header', base(), 14 + 10),
    make('frame-snap-mid-tcp', 'frame cut by snaplen inside the TCP header', base(), 14 + 20 + 10),
    make('frame-snap-mid-opts', 'frame cut by snaplen inside the TCP options', base(), 14 + 20 + 22),
    make('frame-eth-only', 'frame of 6 bytes (shorter than Ethernet)', base(), 6),
  ];
}

// ------------------------------------------------------------------ in-process sweep

/** The sweep's worker; the type-only import above ties this path to the file at compile time. */
const SWEEP_WORKER = new URL('./helpers/malformed-sweep-worker.js', import.meta.url);

interface SweepCase {
  id: string;
  how: string;
  bytes: Uint8Array;
}

function runSweep(dir: string, cases: SweepCase[]): Promise<{ failures: string[]; ran: number }> {
  return new Promise((resolve) => {
    const workerData: SweepWorkerData = { scratch: join(dir, 'sweep.bin'), cases: cases.map((c) => ({ bytes: c.bytes })) };
    const w = new Worker(SWEEP_WORKER, { workerData });
    const failures: string[] = [];
    let current = -1;
    let lastProgress = Date.now();
    let finished = false;
    const save = (i: number): string => {
      mkdirSync(FAIL_DIR, { recursive: true });
      const c = itemAt(cases, i, 'case');
      const p = join(FAIL_DIR, `${c.id}.bin`);
      writeFileSync(p, c.bytes);
      return p;
    };
    const finish = (extra?: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      if (extra) failures.push(extra);
      void w.terminate();
      resolve({ failures, ran: Math.max(0, current + 1) });
    };
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress > TIMEOUT_MS) {
        const c = cases[current];
        finish(
          `[${c?.id}] ${c?.how}\n    hang: no progress for ${TIMEOUT_MS} ms\n    repro: node bin/kad analyze ${current >= 0 ? save(current) : '?'}`,
        );
      }
    }, 500);
    w.on('message', (m: SweepMessage) => {
      lastProgress = Date.now();
      if (m.type === 'start') current = m.i;
      else if (m.type === 'fail') {
        const c = itemAt(cases, m.i, 'case');
        if (failures.length >= MAX_REPORTED) failures.push(`[${c.id}] ${m.problem.slice(0, 200)}`);
        else failures.push(`[${c.id}] ${c.how}\n    ${m.problem}\n    repro: node bin/kad analyze ${save(m.i)}`);
      } else if (m.type === 'fatal') finish(`sweep worker failed: ${m.problem}`);
      else if (m.type === 'done') {
        current = cases.length - 1;
        finish();
      }
    });
    w.on('error', (e) => finish(`sweep worker crashed at case ${cases[current]?.id}: ${e.stack ?? e.message}`));
    w.on('exit', () => finish());
  });
}

// ------------------------------------------------------------------ tests

describe('robustness: malformed captures never crash, hang or print a stack trace', () => {
  let dir = '';
  let bases: Base[] = [];
  /** The i-th base capture (0 pcap µs LE, 1 pcap ns BE, 2 pcapng), once `before` has built them. */
  const base = (i: number): Built => itemAt(bases, i, 'base capture').built;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kad-robustness-'));
    const frames = conversation();
    bases = [
      { name: 'pcap-us-le', built: pcap(frames, { ns: false, be: false }) },
      { name: 'pcap-ns-be', built: pcap(frames, { ns: true, be: true }) },
      { name: 'pcapng', built: pcapng(frames) },
    ];
    console.log(`# seed ${SEED} (set KAD_ROBUSTNESS_SEED to change); failing inputs are saved in ${FAIL_DIR}`);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the undamaged captures are read completely (baseline)', async () => {
    const cases: Case[] = [];
    for (const b of bases) {
      for (const mode of ['text', 'json', 'events'] as const) {
        cases.push({ id: `base-${b.name}-${mode}`, how: `${b.name}, undamaged`, bytes: b.built.bytes, mode, expectTcp: BASE_TCP });
      }
    }
    cases.push({
      id: 'base-pcap-gz-json',
      how: 'pcap µs, gzip-compressed',
      bytes: gzipSync(base(0).bytes),
      mode: 'json',
      expectTcp: BASE_TCP,
    });
    cases.push({
      id: 'base-pcapng-gz-events',
      how: 'pcapng, gzip-compressed',
      bytes: gzipSync(base(2).bytes),
      mode: 'events',
      expectTcp: BASE_TCP,
    });
    cases.push({ id: 'base-stdin-json', how: 'pcapng on stdin', bytes: base(2).bytes, stdin: true, mode: 'json', expectTcp: BASE_TCP });
    cases.push({
      id: 'base-stdin-gz-events',
      how: 'gzip pcap on stdin',
      bytes: gzipSync(base(1).bytes),
      stdin: true,
      mode: 'events',
      expectTcp: BASE_TCP,
    });
    report('baselines', await runCases(dir, cases));
  });

  test('truncated at every header offset and throughout the body', async () => {
    const rng = new Rng(SEED ^ 0x7a11);
    const cases: Case[] = [];
    for (const b of bases) {
      // Every byte of one pcap's headers; a sample of the others' (the in-process sweep covers every offset).
      const step = b.name === 'pcap-us-le' ? 1 : b.name === 'pcap-ns-be' ? 4 : 5;
      for (const cut of truncations(b, rng, step, 2, 4)) {
        cases.push({
          id: `trunc-${b.name}-${cut}`,
          how: `${b.name} truncated to ${cut} of ${b.built.bytes.length} bytes`,
          bytes: b.built.bytes.subarray(0, cut),
          mode: modeOf(cases.length),
          offsetWithin: cut,
        });
      }
    }
    report('truncations', await runCases(dir, cases));
  });

  test('bit flips and bytes set to 0x00 / 0xFF', async () => {
    const rng = new Rng(SEED);
    const cases: Case[] = [];
    for (const b of bases) {
      for (let k = 0; k < 20; k++) {
        const m = mutation(b, rng);
        // Half the cases get a second hit: one damaged field often masks another.
        const m2 = k % 2 === 1 ? mutation(b, rng) : null;
        let bytes = applyMutation(b.built.bytes, m);
        if (m2) bytes = applyMutation(bytes, m2);
        cases.push({
          id: `mut-${b.name}-${k}`,
          how: `${b.name}: ${describeMutation(m)}${m2 ? ` and ${describeMutation(m2)}` : ''} (seed ${SEED}, case ${k})`,
          bytes,
          mode: modeOf(cases.length),
          offsetWithin: bytes.length,
        });
      }
    }
    report('mutations', await runCases(dir, cases));
  });

  test('gzip: corrupt contents, truncated stream, bad checksum, garbage after the magic', async () => {
    const gz = gzipSync(base(0).bytes);
    const flipped = Buffer.from(base(0).bytes);
    flipped.writeUInt32LE(0xffffffff, itemAt(base(0).structure, 3, 'pcap record') + 8);
    const badCrc = Buffer.from(gz);
    xorByte(badCrc, badCrc.length - 6, 0xff);
    const badDeflate = Buffer.from(gz);
    xorByte(badDeflate, Math.floor(gz.length / 2), 0x55);
    const cases: Case[] = [
      {
        id: 'gz-truncated-pcap',
        how: 'gzip of a pcap truncated mid-record',
        bytes: gzipSync(base(0).bytes.subarray(0, 700)),
        mode: 'json',
      },
      { id: 'gz-corrupt-pcap', how: 'gzip of a pcap whose 3rd record has caplen 0xFFFFFFFF', bytes: gzipSync(flipped), mode: 'text' },
      { id: 'gz-stream-cut', how: 'gzip stream cut in half', bytes: gz.subarray(0, Math.floor(gz.length / 2)), mode: 'json' },
      { id: 'gz-stream-cut-header', how: 'gzip stream cut inside the gzip header', bytes: gz.subarray(0, 6), mode: 'text' },
      { id: 'gz-bad-crc', how: 'gzip with a wrong CRC32 trailer', bytes: badCrc, mode: 'events' },
      { id: 'gz-bad-deflate', how: 'gzip with a corrupt deflate stream', bytes: badDeflate, mode: 'json' },
      {
        id: 'gz-garbage',
        how: 'gzip magic followed by garbage',
        bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(200, 0xa5)]),
        mode: 'json',
      },
      { id: 'gz-empty-payload', how: 'gzip of an empty file', bytes: gzipSync(Buffer.alloc(0)), mode: 'text' },
      {
        id: 'gz-of-garbage',
        how: 'gzip of 4 KiB of garbage',
        bytes: gzipSync(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff))),
        mode: 'json',
      },
      {
        id: 'gz-stdin-cut',
        how: 'gzip stream cut in half, on stdin',
        bytes: gz.subarray(0, Math.floor(gz.length / 2)),
        stdin: true,
        mode: 'json',
      },
    ];
    report('gzip', await runCases(dir, cases));
  });

  test('garbage, empty, directory, missing file, stdin', async () => {
    const rng = new Rng(SEED ^ 0x9a7b);
    const garbage = Buffer.from(Array.from({ length: 3000 }, () => rng.int(256)));
    const cases: Case[] = [
      { id: 'garbage', how: '3000 random bytes', bytes: garbage, mode: 'json' },
      { id: 'garbage-text', how: '3000 random bytes, text report', bytes: garbage, mode: 'text' },
      { id: 'empty', how: 'empty file', bytes: Buffer.alloc(0), mode: 'json' },
      { id: 'empty-text', how: 'empty file, text report', bytes: Buffer.alloc(0), mode: 'text' },
      { id: 'text-file', how: 'a text file', bytes: Buffer.from('this is not a capture\n'.repeat(20)), mode: 'text' },
      { id: 'three-bytes', how: '3 bytes of pcap magic', bytes: Buffer.from([0xd4, 0xc3, 0xb2]), mode: 'json' },
      { id: 'pcapng-magic-only', how: 'pcapng SHB type, nothing else', bytes: Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]), mode: 'events' },
      { id: 'zeros', how: '4 KiB of zero bytes', bytes: Buffer.alloc(4096), mode: 'json' },
      { id: 'ff', how: '4 KiB of 0xFF bytes', bytes: Buffer.alloc(4096, 0xff), mode: 'json' },
      { id: 'directory', how: 'a directory', path: dir, mode: 'json' },
      { id: 'missing', how: 'a file that does not exist', path: join(dir, 'no-such-file.pcap'), mode: 'json' },
      { id: 'missing-text', how: 'a file that does not exist, text report', path: join(dir, 'no-such-file.pcapng'), mode: 'text' },
      { id: 'stdin-garbage', how: 'garbage on stdin', bytes: garbage, stdin: true, mode: 'json' },
      { id: 'stdin-garbage-events', how: 'garbage on stdin, --events', bytes: garbage, stdin: true, mode: 'events' },
      { id: 'stdin-empty', how: 'empty stdin', bytes: Buffer.alloc(0), stdin: true, mode: 'text' },
      {
        id: 'stdin-truncated',
        how: 'pcap truncated mid-record on stdin',
        bytes: base(0).bytes.subarray(0, 333),
        stdin: true,
        mode: 'json',
      },
    ];
    report('odd inputs', await runCases(dir, cases));
  });

  test('hand-crafted container headers and malformed frames', async () => {
    const crafted = [...craftedContainers(bases), ...craftedFrames()];
    const cases: Case[] = crafted.map((c, i) => ({ ...c, id: `crafted-${c.id}`, mode: modeOf(i), offsetWithin: c.bytes.length }));
    // Absurd timestamps break date formatting, which only the text report does: run those in every mode.
    for (const c of crafted.filter((x) => x.id.startsWith('png-ts'))) {
      for (const mode of ['text', 'json', 'events'] as const) {
        if (!cases.some((k) => k.id === `crafted-${c.id}` && k.mode === mode)) {
          cases.push({ ...c, id: `crafted-${c.id}-${mode}`, mode, offsetWithin: c.bytes.length });
        }
      }
    }
    report('crafted', await runCases(dir, cases));
  });

  test('in-process sweep: every truncation offset and thousands of mutations', async () => {
    const rng = new Rng(SEED ^ 0x5eeb);
    const cases: SweepCase[] = [];
    for (const b of bases) {
      const bytes = b.built.bytes;
      for (let cut = 0; cut < bytes.length; cut++)
        cases.push({ id: `sweep-trunc-${b.name}-${cut}`, how: `${b.name} truncated to ${cut} bytes`, bytes: bytes.subarray(0, cut) });
      for (let k = 0; k < SWEEP_MUTATIONS; k++) {
        const m = mutation(b, rng);
        const m2 = k % 3 === 2 ? mutation(b, rng) : null;
        let out = applyMutation(bytes, m);
        if (m2) out = applyMutation(out, m2);
        cases.push({
          id: `sweep-mut-${b.name}-${k}`,
          how: `${b.name}: ${describeMutation(m)}${m2 ? ` and ${describeMutation(m2)}` : ''} (sweep seed ${SEED}, case ${k})`,
          bytes: out,
        });
      }
    }
    for (const c of [...craftedContainers(bases), ...craftedFrames()]) cases.push({ id: `sweep-${c.id}`, how: c.how, bytes: c.bytes });
    const t0 = Date.now();
    const r = await runSweep(dir, cases);
    console.log(`# in-process sweep: ${r.ran} of ${cases.length} cases in ${Date.now() - t0} ms, ${r.failures.length} failures`);
    assert.equal(
      r.failures.length,
      0,
      `${r.failures.length} sweep cases failed (seed ${SEED}):\n${r.failures.slice(0, MAX_REPORTED).join('\n')}${r.failures.length > MAX_REPORTED ? `\n... and ${r.failures.length - MAX_REPORTED} more` : ''}`,
    );
    assert.equal(r.ran, cases.length, 'the sweep did not get through every case');
  });
});
