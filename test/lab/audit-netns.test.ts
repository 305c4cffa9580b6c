import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { labSkip } from '../helpers/lab-gate.js';

/**
 * The real thing: `kad audit` inside a network namespace of our own with a
 * tiny ephemeral port range, a tiny nofile limit and a nearly full conntrack
 * table. Every change lives inside the namespace (port range, UDP conntrack
 * timeout, nft ruleset, conntrack entries) or the audited process (prlimit),
 * so deleting the namespace undoes all of it. nf_conntrack_max is never
 * written: on this kernel it is read-only outside the initial namespace, and
 * on older kernels a write from a namespace changed the global value.
 */

const KAD = fileURLToPath(new URL('../../../bin/kad', import.meta.url));
const NS = `kad-audit-${process.pid}`;
const LISTEN_PORT = 5000; // outside the ephemeral range, so only client sockets use range ports
const RANGE = '40000 40009';
const HELD = 9; // of 10 ports
const TINY_NOFILE = 64;
// The ESM loader opens a load's module files at once: kad needed ~320 descriptors to
// start when src/util/time-text.ts imported the date-fns barrel, and 64 made it die with
// EMFILE before auditing anything. It now imports 'date-fns/lightFormat'; the retry stays
// for a start-up that needs more again.
const FALLBACK_NOFILE = 512;
const NFT_RULESET =
  'table inet kadaudit {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    ct state new counter\n  }\n}\n';

// Opens HELD loopback connections, says "ready", and lives until stdin closes or it is killed.
const HOLDER_JS = `
const net = require('node:net');
const n = Number(process.env.KAD_HOLD);
const keep = [];
net.createServer((s) => keep.push(s)).listen(${LISTEN_PORT}, '127.0.0.1', () => {
  let open = 0;
  for (let i = 0; i < n; i++) {
    const c = net.connect(${LISTEN_PORT}, '127.0.0.1', () => { if (++open === n) process.stdout.write('ready\\n'); });
    c.on('error', (e) => { process.stderr.write('holder: ' + e.message + '\\n'); process.exit(1); });
    keep.push(c);
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

// One conntrack entry per distinct UDP 4-tuple: one socket per 65k destination ports, all on 127.0.0.1.
const FILL_JS = `
const dgram = require('node:dgram');
const target = Number(process.env.KAD_FILL);
const buf = Buffer.alloc(1);
let sent = 0, done = 0;
(async () => {
  while (sent < target) {
    const s = dgram.createSocket('udp4');
    await new Promise((r) => s.bind(0, '127.0.0.1', r));
    for (let port = 1; port <= 65535 && sent < target; port++) {
      sent++;
      s.send(buf, port, '127.0.0.1', () => { done++; });
      if (sent % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  while (done < sent) await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(String(sent));
  process.exit(0);
})();
`;

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function inNs(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return run('ip', ['netns', 'exec', NS, ...args], opts);
}

interface Finding {
  id: string;
  level: string;
  observed: string;
  breaks: string;
  fix: { commands: string[]; persistLines: string[] } | null;
}

const skip = labSkip(import.meta.url, { root: 'a network namespace', tools: ['ip', 'nft', 'prlimit', 'sysctl'] });

test(
  'kad audit inside a namespace with a tiny port range, tiny nofile and a nearly full conntrack table',
  { skip, timeout: 180_000 },
  async (t) => {
    const hostRangeBefore = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    let holder: ChildProcess | null = null;
    run('ip', ['netns', 'add', NS]);
    try {
      run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      inNs(['sysctl', '-qw', `net.ipv4.ip_local_port_range=${RANGE}`]);

      // Conntrack: hooks exist only once a rule needs them; UDP entries must outlive the test.
      inNs(['nft', '-f', '-'], { input: NFT_RULESET });
      inNs(['sysctl', '-qw', 'net.netfilter.nf_conntrack_udp_timeout=600']);
      const max = Number(inNs(['cat', '/proc/sys/net/netfilter/nf_conntrack_max']).trim());
      assert.ok(max > 0 && max <= 1_048_576, `nf_conntrack_max ${max} is too large to fill in a test`);
      const target = Math.ceil(max * 0.93);
      inNs([process.execPath, '-e', FILL_JS], { env: { ...process.env, KAD_FILL: String(target) } });
      const count = Number(inNs(['cat', '/proc/sys/net/netfilter/nf_conntrack_count']).trim());
      assert.ok(count >= max * 0.9, `filled only ${count} of ${max}`);

      holder = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', HOLDER_JS], {
        env: { ...process.env, KAD_HOLD: String(HELD) },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const [chunk] = (await once(holder.stdout!, 'data')) as [Buffer];
      assert.equal(chunk.toString().trim(), 'ready');

      let nofileLimit = TINY_NOFILE;
      const audit = (n: number) =>
        spawnSync('ip', ['netns', 'exec', NS, 'prlimit', `--nofile=${n}:${n}`, process.execPath, KAD, 'audit', '--json'], {
          encoding: 'utf8',
          maxBuffer: 16 * 1024 * 1024,
        });
      let r = audit(nofileLimit);
      if (r.status !== 0 && /EMFILE/.test(r.stderr)) {
        t.diagnostic(`kad could not start with nofile ${nofileLimit} (${r.stderr.trim()}); retrying with ${FALLBACK_NOFILE}`);
        nofileLimit = FALLBACK_NOFILE;
        r = audit(nofileLimit);
      }
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout;
      const report = JSON.parse(out) as {
        findings: Finding[];
        host: { initialNetns: boolean | null };
        sockets: { byState: Record<string, number> };
      };
      const byId = (id: string): Finding => {
        const f = report.findings.find((x) => x.id === id);
        assert.ok(f, `no ${id} finding`);
        return f;
      };

      const range = byId('ports.range');
      assert.equal(range.level, 'crit');
      assert.match(range.observed, /= 40000 40009 \(10 usable ports\)/);
      assert.match(range.breaks, /EADDRNOTAVAIL/);
      assert.ok(range.fix?.commands[0]?.startsWith('sysctl -w net.ipv4.ip_local_port_range="1024 65000"'));

      const dest = byId('ports.per-destination');
      assert.equal(dest.level, 'crit');
      assert.match(dest.observed, new RegExp(`127\\.0\\.0\\.1 → 127\\.0\\.0\\.1:${LISTEN_PORT} holds ${HELD} of 10 ephemeral ports`));
      assert.match(dest.breaks, /after 1 more concurrent connection/);

      const nofile = byId('fds.nofile');
      assert.equal(nofile.level, 'crit');
      assert.match(nofile.observed, new RegExp(`soft ${nofileLimit}, hard ${nofileLimit}`));
      assert.match(nofile.breaks, /EMFILE/);

      const ct = byId('conntrack.table');
      assert.equal(ct.level, 'crit');
      assert.match(ct.observed, new RegExp(`of ${max} entries in use`));
      assert.match(ct.breaks, /table full, dropping packet/);
      assert.deepEqual(ct.fix?.persistLines, [`net.netfilter.nf_conntrack_max = ${Math.max(max * 2, 262144)}`]);

      // A fresh namespace starts from the kernel defaults, not the host's values.
      assert.equal(byId('keepalive.defaults').level, 'warn');
      // null when PID 1's namespace link is not readable (no ptrace rights over PID 1, as in some sandboxes).
      assert.notEqual(report.host.initialNetns, true);
      assert.ok((report.sockets.byState.ESTABLISHED ?? 0) >= 2 * HELD);
    } finally {
      if (holder?.pid !== undefined && holder.exitCode === null) {
        holder.stdin?.end();
        process.kill(holder.pid, 'SIGTERM');
        await once(holder, 'exit');
      }
      run('ip', ['netns', 'del', NS]);
    }
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), hostRangeBefore, 'host port range untouched');
    assert.ok(!run('ip', ['netns', 'list']).includes(NS), 'namespace deleted');
  },
);
