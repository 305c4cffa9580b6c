import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAudit, type AuditReport } from '../src/audit/run-audit.js';
import { itemAt } from './helpers/checked.js';

/** A /proc lookalike with every setting deliberately bad. */
function fakeProc(opts: { conntrack: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'kad-fake-proc-'));
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  put('sys/net/ipv4/tcp_keepalive_time', '7200\n');
  put('sys/net/ipv4/tcp_keepalive_intvl', '75\n');
  put('sys/net/ipv4/tcp_keepalive_probes', '9\n');
  put('sys/net/ipv4/tcp_retries2', '15\n');
  put('sys/net/ipv4/ip_local_port_range', '40000\t40009\n');
  put('sys/net/ipv4/ip_local_reserved_ports', '\n');
  put('sys/net/ipv4/tcp_max_syn_backlog', '128\n');
  put('sys/net/ipv4/tcp_tw_reuse', '0\n');
  put('sys/net/ipv4/tcp_max_tw_buckets', '100\n');
  put('sys/net/core/somaxconn', '128\n');
  put('sys/fs/file-max', '1000\n');
  put('sys/fs/file-nr', '950\t0\t1000\n');
  put('sys/fs/nr_open', '1024\n');
  put('sys/kernel/osrelease', '6.1.0-test\n');
  put('sys/kernel/hostname', 'fakehost\n');
  if (opts.conntrack) {
    put('sys/net/netfilter/nf_conntrack_max', '1000\n');
    put('sys/net/netfilter/nf_conntrack_count', '950\n');
    put('sys/net/netfilter/nf_conntrack_buckets', '100\n');
    put('sys/net/netfilter/nf_conntrack_tcp_timeout_established', '5\n');
    put('sys/net/netfilter/nf_conntrack_tcp_loose', '0\n');
    put('sys/net/netfilter/nf_conntrack_tcp_be_liberal', '0\n');
  } else {
    mkdirSync(join(root, 'sys/net/netfilter'), { recursive: true });
  }
  const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
  const row = (i: number, local: string, remote: string, st: string, tr = '00:00000000') =>
    `  ${i}: ${local} ${remote} ${st} 00000000:00000000 ${tr} 00000000  1000        0 ${1000 + i} 1 0000000000000000 20 4 30 10 -1`;
  lines.push(row(0, '0100007F:1388', '00000000:0000', '0A'));
  for (let k = 0; k < 9; k++) {
    const port = (40000 + k).toString(16).toUpperCase();
    lines.push(row(1 + 2 * k, `0100007F:${port}`, '0100007F:1388', '01', '02:00000100'));
    lines.push(row(2 + 2 * k, '0100007F:1388', `0100007F:${port}`, '01', '02:00000100'));
  }
  lines.push(row(40, '0A0200C0:D431', '077100CB:01BB', '01'));
  put('net/tcp', `${lines.join('\n')}\n`);
  put(
    'self/limits',
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            64                   64                   files\n',
  );
  for (let fd = 0; fd < 12; fd++) put(`self/fd/${fd}`, '');
  put('4242/limits', 'Max open files            32                   64                   files\n');
  return root;
}

function byId(r: AuditReport, id: string) {
  const f = r.findings.find((x) => x.id === id);
  assert.ok(f, `finding ${id} missing; have ${r.findings.map((x) => x.id).join(', ')}`);
  return f;
}

test('fake tree: every bad setting is reported at the right level with a fix', () => {
  const root = fakeProc({ conntrack: true });
  try {
    const r = runAudit({ procRoot: root, ppid: 4242, uid: 1000 });
    assert.equal(r.host.hostname, 'fakehost');
    assert.equal(r.host.sysctlRoot, join(root, 'sys'));

    const range = byId(r, 'ports.range');
    assert.equal(range.level, 'crit');
    assert.match(range.breaks, /EADDRNOTAVAIL .*after ~10 concurrent connections/);
    assert.deepEqual(range.fix?.commands, [
      'sysctl -w net.ipv4.ip_local_port_range="1024 65000"',
      'sysctl -w net.ipv4.ip_local_reserved_ports=5000',
    ]);
    assert.deepEqual(range.fix?.persistLines, ['net.ipv4.ip_local_port_range = 1024 65000', 'net.ipv4.ip_local_reserved_ports = 5000']);

    const dest = byId(r, 'ports.per-destination');
    assert.equal(dest.level, 'crit');
    assert.match(dest.observed, /127\.0\.0\.1 → 127\.0\.0\.1:5000 holds 9 of 10 ephemeral ports/);
    assert.match(dest.breaks, /after 1 more concurrent connection\./);

    const nofile = byId(r, 'fds.nofile');
    assert.equal(nofile.level, 'crit');
    assert.match(nofile.observed, /soft 64, hard 64/);
    assert.match(nofile.breaks, /EMFILE/);
    assert.match(nofile.breaks, /12 are already open .* about 52 connections fit/);
    assert.equal(byId(r, 'fds.nofile-parent').level, 'warn');

    const ct = byId(r, 'conntrack.table');
    assert.equal(ct.level, 'crit');
    assert.match(ct.observed, /950 of 1000 entries in use \(95 %\)/);
    assert.deepEqual(ct.fix?.commands, ['sysctl -w net.netfilter.nf_conntrack_max=262144']);
    assert.equal(byId(r, 'conntrack.buckets').level, 'warn');
    assert.equal(byId(r, 'conntrack.established-timeout').level, 'warn');
    assert.equal(byId(r, 'conntrack.tcp-loose').level, 'warn');
    assert.equal(byId(r, 'keepalive.defaults').level, 'warn');
    assert.deepEqual(byId(r, 'keepalive.defaults').fix?.persistLines, [
      'net.ipv4.tcp_keepalive_time = 190',
      'net.ipv4.tcp_keepalive_intvl = 20',
      'net.ipv4.tcp_keepalive_probes = 3',
    ]);
    assert.equal(byId(r, 'fds.file-max').level, 'crit');
    assert.equal(byId(r, 'fds.nr-open').level, 'warn');
    assert.equal(byId(r, 'backlog.somaxconn').level, 'warn');
    assert.equal(byId(r, 'backlog.syn').level, 'warn');
    assert.equal(byId(r, 'sockets.keepalive-coverage').level, 'info');
    assert.match(byId(r, 'sockets.keepalive-coverage').observed, /203\.0\.113\.7:443 ×1/);
    // /proc/net/tcp6 is absent from the fake tree: reported, not fatal.
    assert.ok(r.findings.some((f) => f.id.startsWith('unreadable.') && f.id.endsWith('net/tcp6')));
    assert.equal(r.summary.worst, 'crit');
    assert.deepEqual(r.sockets.byState, { LISTEN: 1, ESTABLISHED: 19 });
    // Worst first.
    assert.equal(itemAt(r.findings, 0, 'finding').level, 'crit');
    assert.ok(r.privileges.some((p) => /Not running as root/.test(p)));
    assert.ok(r.privileges.some((p) => /Could not read \/proc\/1\/ns\/net/.test(p)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fake tree without nf_conntrack: one info finding says so, no unreadable noise', () => {
  const root = fakeProc({ conntrack: false });
  try {
    const r = runAudit({ procRoot: root, ppid: 4242, uid: 0 });
    const ct = byId(r, 'conntrack.loaded');
    assert.equal(ct.level, 'info');
    assert.match(ct.observed, /not loaded/);
    assert.ok(!r.findings.some((f) => f.id.startsWith('unreadable.net.netfilter')));
    assert.ok(!r.findings.some((f) => f.id === 'conntrack.table'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
