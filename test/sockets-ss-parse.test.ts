/**
 * The socket table readers on text recorded on this machine (Debian 12,
 * iproute2 6.1, kernel 6.18): `ss -tinoepHa` and /proc/net/tcp{,6} taken
 * at the same moment in a scratch namespace holding one socket of every
 * kind (keepalive armed at 7 s, 130 s and the 2 h default; keepalive with 4
 * unanswered probes; no keepalive; zero-window probing; a retransmitting
 * SYN; TIME-WAIT). Also the join and the at-risk rule on hand-made rows.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createProcSource, defaultRoots } from '../src/sockets/proc-source.js';
import type { ConnectionReport, IdleTimeoutInference } from '../src/model/analysis-report.js';
import { annotateSockets } from '../src/sockets/annotate-sockets.js';
import { readProcSockets } from '../src/sockets/proc-sockets.js';
import { fillOwners } from '../src/sockets/socket-owners.js';
import { newSocketInfo } from '../src/sockets/socket-info.js';
import { joinSockets } from '../src/sockets/socket-join.js';
import { connectionSilence, pathTimeout, riskContext, socketPairSilence } from '../src/sockets/at-risk.js';
import type { SocketInfo } from '../src/sockets/socket-types.js';
import { parseSsDuration, parseSsListenRow, parseSsOutput } from '../src/sockets/ss-parse.js';
import { listenersFromRows } from '../src/sockets/listeners.js';

const SS_V4 = [
  'ESTAB     0      0       127.0.0.1:50422 127.0.0.1:7000  users:(("node",pid=23958,fd=20)) timer:(keepalive,2.472ms,0) ino:313533 sk:1005 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.029/0.014 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.029,pacing_gain:1,cwnd_gain:1) send 90320000000bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 258121113120bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.029 snd_wnd:65483',
  'ESTAB     0      0       127.0.0.1:50430 127.0.0.1:7000  users:(("node",pid=23958,fd=21)) ino:313534 sk:1006 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.007/0.003 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.007,pacing_gain:1,cwnd_gain:1) send 374182857143bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1069359043824bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.007 snd_wnd:65483',
  'TIME-WAIT 0      0       127.0.0.1:50434 127.0.0.1:7000  timer:(timewait,55sec,0) ino:0 sk:1007',
  'ESTAB     0      0       127.0.0.1:50444 127.0.0.1:7000  users:(("node",pid=23958,fd=25)) timer:(keepalive,2min5sec,0) ino:313538 sk:1008 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.005/0.002 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.005,pacing_gain:1,cwnd_gain:1) send 523856000000bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1497102688120bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.005 snd_wnd:65483',
  'ESTAB     0      0       127.0.0.1:50450 127.0.0.1:7000  users:(("node",pid=23958,fd=26)) timer:(keepalive,119min,0) ino:313539 sk:1009 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.005/0.002 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.005,pacing_gain:1,cwnd_gain:1) send 523856000000bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1497102688120bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.005 snd_wnd:65483',
  'ESTAB     0      3723910 127.0.0.1:60334 127.0.0.1:7001  users:(("node",pid=23958,fd=28)) timer:(persist,2.252ms,0) ino:313541 sk:100a cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:212 backoff:4 rtt:11.245/19.328 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:18 bytes_sent:230400 bytes_retrans:34843 bytes_acked:195558 segs_out:14 segs_in:8 data_segs_out:8 bbr:(bw:1876483880bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672) send 609755803bps lastsnd:4428 lastrcv:4528 lastack:1140 pacing_rate 680501197536bps delivery_rate 24963600bps delivered:9 busy:4528ms rwnd_limited:4528ms(100.0%) retrans:0/2 dsack_dups:2 rcv_space:65495 rcv_ssthresh:65495 notsent:3723910 minrtt:0.011',
  'ESTAB     0      0       127.0.0.1:7000  127.0.0.1:50422 users:(("node",pid=23958,fd=31)) ino:313544 sk:100b cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.008 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536',
  'ESTAB     0      0       127.0.0.1:7002  127.0.0.1:58694 users:(("node",pid=23958,fd=33)) ino:313546 sk:100c cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.01/0.005 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.01) send 262144000000bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 749168640000bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.01 snd_wnd:65536',
  'ESTAB     0      4       127.0.0.1:58694 127.0.0.1:7002  users:(("node",pid=23958,fd=29)) timer:(persist,1.932ms,4) ino:313542 sk:100d cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 backoff:4 rtt:0.01/0.005 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_sent:20 bytes_acked:1 segs_out:7 segs_in:1 data_segs_out:5 bbr:(bw:0bps,mrtt:0.01,pacing_gain:1,cwnd_gain:1) send 261928000000bps lastsnd:1332 lastrcv:4528 lastack:4528 pacing_rate 748551344056bps delivered:1 app_limited busy:4452ms rcv_space:65495 rcv_ssthresh:65495 notsent:4 minrtt:0.01 snd_wnd:65483',
  'ESTAB     0      0       127.0.0.1:52494 127.0.0.1:7004  users:(("node",pid=23958,fd=30)) timer:(keepalive,564ms,4) ino:313543 sk:100e cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:6 segs_in:1 bbr:(bw:0bps,mrtt:0.006,pacing_gain:1,cwnd_gain:1) send 436546666667bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1247585543688bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.006 snd_wnd:65483',
  'ESTAB     0      0       127.0.0.1:7000  127.0.0.1:50450 users:(("node",pid=23958,fd=36)) ino:313562 sk:100f cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.006) send 436906666667bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1248614370224bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.006 snd_wnd:65536',
  'ESTAB     0      0       127.0.0.1:7000  127.0.0.1:50430 users:(("node",pid=23958,fd=35)) ino:313559 sk:1010 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.007/0.003 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.007) send 374491428571bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1070240895144bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.007 snd_wnd:65536',
  'ESTAB     0      0       127.0.0.1:7004  127.0.0.1:52494 users:(("node",pid=23958,fd=34)) ino:313547 sk:1011 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_out:4 segs_in:6 bbr:(bw:0bps,mrtt:0.006) send 436906666667bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1248614370224bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.006 snd_wnd:65536',
  'ESTAB     0      0       127.0.0.1:7000  127.0.0.1:50444 users:(("node",pid=23958,fd=37)) ino:313561 sk:1012 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.006) send 436906666667bps lastsnd:4528 lastrcv:4528 lastack:4528 pacing_rate 1248614370224bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.006 snd_wnd:65536',
  'SYN-SENT  0      1       127.0.0.1:60960 127.0.0.1:7003  users:(("node",pid=23958,fd=22)) timer:(on,888ms,4) ino:311960 sk:1013 cgroup:unreachable:1 <->',
  '\t bbr rto:1000 mss:524 pmtu:65535 rcvmss:88 advmss:65495 cwnd:1 segs_out:5 bbr:(bw:0bps,mrtt:0) lastsnd:2431444 lastrcv:2431444 lastack:2431444 app_limited unacked:1 retrans:0/4 lost:1 rcv_ssthresh:65495',
  'ESTAB     130021 0       127.0.0.1:7001  127.0.0.1:60334 users:(("node",pid=23958,fd=32)) ino:313545 sk:1014 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.01/0.005 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 bytes_received:195557 segs_out:7 segs_in:14 data_segs_in:8 bbr:(bw:0bps,mrtt:0.01) send 262144000000bps lastsnd:4528 lastrcv:4452 lastack:4424 pacing_rate 749168640000bps delivered:1 app_limited rcv_rtt:0.206 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.01 snd_wnd:65536',
].join('\n');

const SS_V6 = [
  'ESTAB     0      0       [::1]:7000  [::1]:49060 users:(("node",pid=24516,fd=36)) ino:315700 sk:1019 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.006) send 436906666667bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1248614370224bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.006 snd_wnd:65536',
  'ESTAB     0      4       [::1]:45716 [::1]:7002  users:(("node",pid=24516,fd=29)) timer:(persist,1.848ms,4) ino:315681 sk:101a cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 backoff:4 rtt:0.006/0.003 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_sent:20 bytes_acked:1 segs_out:7 segs_in:1 data_segs_out:5 bbr:(bw:0bps,mrtt:0.006,pacing_gain:1,cwnd_gain:1) send 436426666667bps lastsnd:1416 lastrcv:4580 lastack:4580 pacing_rate 1247242601512bps delivered:1 app_limited busy:4536ms rcv_space:65476 rcv_ssthresh:65476 notsent:4 minrtt:0.006 snd_wnd:65464',
  'ESTAB     0      0       [::1]:7000  [::1]:49018 users:(("node",pid=24516,fd=31)) ino:315683 sk:101b cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.018/0.009 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.018) send 145635555556bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 416204775192bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.018 snd_wnd:65536',
  'ESTAB     0      0       [::1]:7000  [::1]:49048 users:(("node",pid=24516,fd=37)) ino:315699 sk:101c cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.007/0.003 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.007) send 374491428571bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1070240895144bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.007 snd_wnd:65536',
  'ESTAB     0      0       [::1]:54694 [::1]:7004  users:(("node",pid=24516,fd=30)) timer:(keepalive,512ms,4) ino:315682 sk:101d cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.009/0.004 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_acked:1 segs_out:6 segs_in:1 bbr:(bw:0bps,mrtt:0.009,pacing_gain:1,cwnd_gain:1) send 290951111111bps lastsnd:4576 lastrcv:4576 lastack:4576 pacing_rate 831495082536bps delivered:1 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.009 snd_wnd:65464',
  'ESTAB     0      0       [::1]:7000  [::1]:49032 users:(("node",pid=24516,fd=35)) ino:315697 sk:101e cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.008/0.004 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.008) send 327680000000bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 936460800000bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.008 snd_wnd:65536',
  'ESTAB     0      0       [::1]:49018 [::1]:7000  users:(("node",pid=24516,fd=20)) timer:(keepalive,2.420ms,0) ino:315672 sk:101f cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.03/0.015 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.03,pacing_gain:1,cwnd_gain:1) send 87285333333bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 249448511376bps delivered:1 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.03 snd_wnd:65464',
  'ESTAB     0      0       [::1]:49032 [::1]:7000  users:(("node",pid=24516,fd=21)) ino:315673 sk:1020 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.007/0.003 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.007,pacing_gain:1,cwnd_gain:1) send 374080000000bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1069065093376bps delivered:1 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.007 snd_wnd:65464',
  'TIME-WAIT 0      0       [::1]:49042 [::1]:7000  timer:(timewait,55sec,0) ino:0 sk:1021',
  'ESTAB     0      0       [::1]:49048 [::1]:7000  users:(("node",pid=24516,fd=25)) timer:(keepalive,2min5sec,0) ino:315677 sk:1022 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.006,pacing_gain:1,cwnd_gain:1) send 436426666667bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1247242601512bps delivered:1 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.006 snd_wnd:65464',
  'ESTAB     0      0       [::1]:49060 [::1]:7000  users:(("node",pid=24516,fd=26)) timer:(keepalive,119min,0) ino:315678 sk:1023 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32732 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.006,pacing_gain:1,cwnd_gain:1) send 436426666667bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1247242601512bps delivered:1 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.006 snd_wnd:65464',
  'ESTAB     0      3723784 [::1]:32938 [::1]:7001  users:(("node",pid=24516,fd=28)) timer:(persist,2.172ms,0) ino:315680 sk:1024 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:212 backoff:4 rtt:8.337/14.889 mss:47616 pmtu:65536 rcvmss:536 advmss:65464 cwnd:18 bytes_sent:230400 bytes_retrans:34852 bytes_acked:195549 segs_out:14 segs_in:7 data_segs_out:8 bbr:(bw:2047998040bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672) send 822442605bps lastsnd:4520 lastrcv:4580 lastack:1220 pacing_rate 680314138168bps delivery_rate 27159992bps delivered:9 busy:4564ms rwnd_limited:4564ms(100.0%) retrans:0/2 dsack_dups:2 rcv_space:65476 rcv_ssthresh:65476 notsent:3723784 minrtt:0.011',
  'ESTAB     130012 0       [::1]:7001  [::1]:32938 users:(("node",pid=24516,fd=32)) ino:315684 sk:1025 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.01/0.005 ato:80 mss:32768 pmtu:65536 rcvmss:47616 advmss:65464 cwnd:10 bytes_received:195548 segs_out:6 segs_in:14 data_segs_in:8 bbr:(bw:0bps,mrtt:0.01) send 262144000000bps lastsnd:4580 lastrcv:4536 lastack:4520 pacing_rate 749168640000bps delivered:1 app_limited rcv_rtt:0.173 rcv_space:65464 rcv_ssthresh:95232 minrtt:0.01 snd_wnd:65536',
  'ESTAB     0      0       [::1]:7002  [::1]:45716 users:(("node",pid=24516,fd=33)) ino:315685 sk:1026 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.006/0.003 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.006) send 436906666667bps lastsnd:4580 lastrcv:4580 lastack:4580 pacing_rate 1248614370224bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.006 snd_wnd:65536',
  'SYN-SENT  0      1       [::1]:39816 [::1]:7003  users:(("node",pid=24516,fd=22)) timer:(on,896ms,4) ino:315725 sk:1027 cgroup:unreachable:1 <->',
  '\t bbr rto:1000 mss:1208 pmtu:65536 rcvmss:88 advmss:65476 cwnd:1 segs_out:5 bbr:(bw:0bps,mrtt:0) lastsnd:2436424 lastrcv:2436424 lastack:2436424 app_limited unacked:1 retrans:0/4 lost:1 rcv_ssthresh:65476',
  'ESTAB     0      0       [::1]:7004  [::1]:54694 users:(("node",pid=24516,fd=34)) ino:315686 sk:1028 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.009/0.004 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:10 segs_out:4 segs_in:6 bbr:(bw:0bps,mrtt:0.009) send 291271111111bps lastsnd:4576 lastrcv:4576 lastack:4576 pacing_rate 832409595032bps delivered:1 app_limited rcv_space:65464 rcv_ssthresh:65464 minrtt:0.009 snd_wnd:65536',
].join('\n');

const PROC_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 313532 1 000000006e33ae9e 100 0 0 10 0',
  '   1: 0100007F:1B59 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 313536 1 00000000ef1bdbf7 100 0 0 10 0',
  '   2: 0100007F:1B5A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 313537 1 00000000ffa46942 100 0 0 10 0',
  '   3: 0100007F:1B5C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 313540 1 00000000a45ff793 100 0 0 10 0',
  '   4: 0100007F:C4F6 0100007F:1B58 01 00000000:00000000 02:000000F6 00000000     0        0 313533 2 000000001da4ab5d 20 0 0 10 -1',
  '   5: 0100007F:C4FE 0100007F:1B58 01 00000000:00000000 00:00000000 00000000     0        0 313534 1 00000000bf372b46 20 0 0 10 -1',
  '   6: 0100007F:C502 0100007F:1B58 06 00000000:00000000 03:000015B2 00000000     0        0 0 3 000000006436d252',
  '   7: 0100007F:C50C 0100007F:1B58 01 00000000:00000000 02:00003102 00000000     0        0 313538 2 00000000b14235f2 20 0 0 10 -1',
  '   8: 0100007F:C512 0100007F:1B58 01 00000000:00000000 02:000AFABA 00000000     0        0 313539 2 00000000da655a4b 20 0 0 10 -1',
  '   9: 0100007F:EBAE 0100007F:1B59 01 0038D286:00000000 04:000000E0 00000000     0        0 313541 2 00000000295cc532 21 0 0 18 -1',
  '  10: 0100007F:1B58 0100007F:C4F6 01 00000000:00000000 00:00000000 00000000     0        0 313544 1 00000000abdf5729 20 0 0 10 -1',
  '  11: 0100007F:1B5A 0100007F:E546 01 00000000:00000000 00:00000000 00000000     0        0 313546 1 00000000c35aad2a 20 0 0 10 -1',
  '  12: 0100007F:E546 0100007F:1B5A 01 00000004:00000000 04:000000C0 00000000     0        4 313542 2 000000001d256aac 20 0 0 10 -1',
  '  13: 0100007F:CD0E 0100007F:1B5C 01 00000000:00000000 02:00000038 00000000     0        4 313543 2 00000000cca7a170 20 0 0 10 -1',
  '  14: 0100007F:1B58 0100007F:C512 01 00000000:00000000 00:00000000 00000000     0        0 313562 1 0000000063a850ed 20 0 0 10 -1',
  '  15: 0100007F:1B58 0100007F:C4FE 01 00000000:00000000 00:00000000 00000000     0        0 313559 1 00000000e4484d30 20 0 0 10 -1',
  '  16: 0100007F:1B5C 0100007F:CD0E 01 00000000:00000000 00:00000000 00000000     0        0 313547 1 00000000836d6e8f 20 0 0 10 -1',
  '  17: 0100007F:1B58 0100007F:C50C 01 00000000:00000000 00:00000000 00000000     0        0 313561 1 0000000041fa3c56 20 0 0 10 -1',
  '  18: 0100007F:EE20 0100007F:1B5B 02 00000001:00000000 01:00000058 00000004     0        0 311960 2 0000000016b26715 100 0 0 1 -1',
  '  19: 0100007F:1B59 0100007F:EBAE 01 00000000:0001FBE5 00:00000000 00000000     0        0 313545 1 00000000236abaad 20 8 0 10 -1',
].join('\n');

const PROC_TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000001000000:1B5A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 315676 1 000000005b28d553 100 0 0 10 0',
  '   1: 00000000000000000000000001000000:1B59 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 315675 1 000000002069b1f4 100 0 0 10 0',
  '   2: 00000000000000000000000001000000:1B58 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 315671 1 00000000ebb2b15f 100 0 0 10 0',
  '   3: 00000000000000000000000001000000:1B5C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 315679 1 0000000039963651 100 0 0 10 0',
  '   4: 00000000000000000000000001000000:1B58 00000000000000000000000001000000:BFA4 01 00000000:00000000 00:00000000 00000000     0        0 315700 1 0000000088133ed1 20 0 0 10 -1',
  '   5: 00000000000000000000000001000000:B294 00000000000000000000000001000000:1B5A 01 00000004:00000000 04:000000B5 00000000     0        4 315681 2 000000002b043ce1 20 0 0 10 -1',
  '   6: 00000000000000000000000001000000:1B58 00000000000000000000000001000000:BF7A 01 00000000:00000000 00:00000000 00000000     0        0 315683 1 00000000b24f330d 20 0 0 10 -1',
  '   7: 00000000000000000000000001000000:1B58 00000000000000000000000001000000:BF98 01 00000000:00000000 00:00000000 00000000     0        0 315699 1 000000004672d6de 20 0 0 10 -1',
  '   8: 00000000000000000000000001000000:D5A6 00000000000000000000000001000000:1B5C 01 00000000:00000000 02:00000030 00000000     0        4 315682 2 00000000dc7efce5 20 0 0 10 -1',
  '   9: 00000000000000000000000001000000:1B58 00000000000000000000000001000000:BF88 01 00000000:00000000 00:00000000 00000000     0        0 315697 1 00000000a9e53e96 20 0 0 10 -1',
  '  10: 00000000000000000000000001000000:BF7A 00000000000000000000000001000000:1B58 01 00000000:00000000 02:000000EE 00000000     0        0 315672 2 0000000002afb6ed 20 0 0 10 -1',
  '  11: 00000000000000000000000001000000:BF88 00000000000000000000000001000000:1B58 01 00000000:00000000 00:00000000 00000000     0        0 315673 1 0000000059fb2688 20 0 0 10 -1',
  '  12: 00000000000000000000000001000000:BF92 00000000000000000000000001000000:1B58 06 00000000:00000000 03:000015A7 00000000     0        0 0 3 00000000e371b92d',
  '  13: 00000000000000000000000001000000:BF98 00000000000000000000000001000000:1B58 01 00000000:00000000 02:000030FA 00000000     0        0 315677 2 0000000011814901 20 0 0 10 -1',
  '  14: 00000000000000000000000001000000:BFA4 00000000000000000000000001000000:1B58 01 00000000:00000000 02:000AFAB2 00000000     0        0 315678 2 00000000f26a5288 20 0 0 10 -1',
  '  15: 00000000000000000000000001000000:80AA 00000000000000000000000001000000:1B59 01 0038D208:00000000 04:000000D6 00000000     0        0 315680 2 00000000a2ebf0f6 21 0 0 18 -1',
  '  16: 00000000000000000000000001000000:1B59 00000000000000000000000001000000:80AA 01 00000000:0001FBDC 00:00000000 00000000     0        0 315684 1 00000000ae21c76c 20 8 0 10 -1',
  '  17: 00000000000000000000000001000000:1B5A 00000000000000000000000001000000:B294 01 00000000:00000000 00:00000000 00000000     0        0 315685 1 00000000dcb5c57a 20 0 0 10 -1',
  '  18: 00000000000000000000000001000000:9B88 00000000000000000000000001000000:1B5B 02 00000001:00000000 01:00000056 00000004     0        0 315725 2 000000007582ba27 100 0 0 1 -1',
  '  19: 00000000000000000000000001000000:1B5C 00000000000000000000000001000000:D5A6 01 00000000:00000000 00:00000000 00000000     0        0 315686 1 0000000023cd1e27 20 0 0 10 -1',
].join('\n');

/** Recorded the same way: a dual-stack listener ('::') accepting an IPv4 client. */
const SS_MAPPED = [
  'ESTAB 0      0               127.0.0.1:51880          127.0.0.1:7010  users:(("node",pid=25574,fd=20)) ino:317965 sk:43 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.035/0.017 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.035,pacing_gain:1,cwnd_gain:1) send 74836571429bps lastsnd:212 lastrcv:212 lastack:212 pacing_rate 213871799840bps delivered:1 app_limited',
  'ESTAB 0      0      [::ffff:127.0.0.1]:7010  [::ffff:127.0.0.1]:51880 users:(("node",pid=25574,fd=21)) ino:317966 sk:44 cgroup:unreachable:1 <->',
  '\t ts sack bbr wscale:10,10 rto:204 rtt:0.019/0.009 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 segs_in:2 bbr:(bw:0bps,mrtt:0.019) send 137970526316bps lastsnd:212 lastrcv:212 lastack:212 pacing_rate 394299253656bps delivered:1 app_limited',
].join('\n');

function byLocalPort(list: SocketInfo[], port: number): SocketInfo {
  const s = list.find((x) => x.local.port === port);
  assert.ok(s, `no socket with local port ${port}`);
  return s;
}

test('ss time grammar: (\\d+min)?(\\d+(sec|\\.))?(\\d{3}ms)?', () => {
  const cases: Array<[string, number | null]> = [
    ['5.560ms', 5560],
    ['2.472ms', 2472],
    ['29sec', 29_000],
    ['55sec', 55_000],
    ['2min5sec', 125_000],
    ['119min', 7_140_000],
    ['1min', 60_000],
    ['564ms', 564],
    ['050ms', 50],
    ['', 0],
    ['5.', null],
    ['5s', null],
    ['abc', null],
  ];
  for (const [text, ms] of cases) assert.equal(parseSsDuration(text), ms, text);
});

for (const [family, text, addr] of [
  [4, SS_V4, '127.0.0.1'],
  [6, SS_V6, '::1'],
] as const) {
  test(`ss -tinoepH, IPv${family}: states, every timer name, probes, queues, owners, idle clocks`, () => {
    const list = parseSsOutput(text);
    assert.equal(list.length, 16, 'one row per socket, continuation lines folded in');
    for (const s of list) {
      assert.equal(s.source, 'ss');
      assert.equal(s.local.family, family);
      assert.equal(s.local.addr, addr);
      assert.equal(s.peer.addr, addr);
    }
    const port = (p4: number, p6: number): number => (family === 4 ? p4 : p6);

    const ka = byLocalPort(list, port(50422, 49018));
    assert.equal(ka.state, 'ESTABLISHED');
    assert.equal(ka.peer.port, 7000);
    assert.deepEqual(ka.timer, { name: 'keepalive', expiresMs: family === 4 ? 2472 : 2420, count: 0 });
    assert.deepEqual(ka.keepaliveTimer, { state: 'on', nextProbeS: family === 4 ? 2.472 : 2.42 });
    assert.equal(ka.probesOut, 0);
    assert.equal(ka.process, 'node');
    assert.equal(ka.pid, family === 4 ? 23958 : 24516);
    assert.equal(ka.inode, family === 4 ? 313533 : 315672);
    assert.equal(ka.lastSendMs, family === 4 ? 4528 : 4580);
    assert.equal(ka.idleFrom, 'socket');
    assert.equal(ka.idleMs, Math.min(ka.lastSendMs!, ka.lastRecvMs!, ka.lastAckMs!));

    const off = byLocalPort(list, port(50430, 49032));
    assert.deepEqual(off.timer, { name: 'off', expiresMs: 0, count: 0 });
    assert.deepEqual(off.keepaliveTimer, { state: 'off' });

    assert.deepEqual(byLocalPort(list, port(50444, 49048)).keepaliveTimer, { state: 'on', nextProbeS: 125 }, '2min5sec');
    assert.deepEqual(byLocalPort(list, port(50450, 49060)).keepaliveTimer, { state: 'on', nextProbeS: 7140 }, '119min: the 2 h default');

    const probing = byLocalPort(list, port(52494, 54694));
    assert.equal(probing.timer.name, 'keepalive');
    assert.equal(probing.probesOut, 4, 'keepalive probes sent and not answered');

    const tw = byLocalPort(list, port(50434, 49042));
    assert.equal(tw.state, 'TIME_WAIT');
    assert.deepEqual(tw.timer, { name: 'timewait', expiresMs: 55_000, count: 0 });
    assert.equal(tw.inode, 0);
    assert.equal(tw.pid, null);
    assert.equal(tw.idleMs, null, 'no tcp_info line for a timewait socket');

    const zwp = byLocalPort(list, port(60334, 32938));
    assert.equal(zwp.timer.name, 'persist');
    assert.equal(zwp.sendQ, family === 4 ? 3723910 : 3723784);
    assert.deepEqual(zwp.keepaliveTimer, { state: 'off' }, 'the persist timer masks keepalive');
    const zwp4 = byLocalPort(list, port(58694, 45716));
    assert.equal(zwp4.timer.count, 4);
    assert.equal(zwp4.probesOut, 0, 'zero-window probes are not keepalive probes');

    const syn = byLocalPort(list, port(60960, 39816));
    assert.equal(syn.state, 'SYN_SENT');
    assert.deepEqual(syn.timer, { name: 'on', expiresMs: family === 4 ? 888 : 896, count: 4 });
    assert.equal(syn.sendQ, 1);

    const reader = list.find((s) => s.local.port === 7001);
    assert.equal(reader?.recvQ, family === 4 ? 130021 : 130012);
  });
}

test('ss: v4-mapped IPv6 becomes IPv4, so it compares with what the capture saw', () => {
  const [client, server] = parseSsOutput(SS_MAPPED);
  assert.deepEqual(server!.local, { family: 4, addr: '127.0.0.1', port: 7010 });
  assert.deepEqual(server!.peer, client!.local);
  assert.equal(server!.idleMs, 212);
});

test('ss listeners: wildcard peers and dual-stack *:port are listeners, their queues read, request sockets counted', () => {
  // What `ss -H -t -n state listening state syn-recv` prints (iproute2 6.1): a listener's peer is a wildcard.
  const rows = [
    'LISTEN 1      1      127.0.0.1:8080 0.0.0.0:*',
    'LISTEN 0      4096   *:5432 *:*',
    'SYN-RECV 0 0 127.0.0.1:8080 127.0.0.1:40000',
    'ESTAB 0 0 127.0.0.1:8080 127.0.0.1:40001',
  ]
    .map(parseSsListenRow)
    .filter((r) => r !== null);
  assert.equal(rows.length, 3, 'the established socket is not a listener row');
  const ls = listenersFromRows(rows, true);
  const byPort = new Map(ls.map((l) => [l.local.port, l]));
  assert.deepEqual([byPort.get(8080)?.queue, byPort.get(8080)?.backlog, byPort.get(8080)?.synRecv], [1, 1, 1]);
  assert.equal(byPort.get(5432)?.local.addr, '::', 'dual-stack listener read as [::]');
  assert.equal(byPort.get(5432)?.backlog, 4096);
});

test('ss: headers, the tcp netid column, scope ids, odd process names, uid', () => {
  const text = [
    'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
    'tcp ESTAB 0 0 [fe80::1]%kad-s:22 [fe80::2]%kad-s:50000 users:(("my \\"worker\\" 1",pid=77,fd=9)) uid:1000 ino:5 sk:1 <->',
    '\t lastsnd:10 lastrcv:20 lastack:5',
    'ESTAB 0 0 192.0.2.1%eth0:5432 198.51.100.7:40000 ino:6 sk:2 <->',
    'ESTAB 0 0 *:* *:*',
  ].join('\n');
  const list = parseSsOutput(text);
  assert.equal(list.length, 2);
  assert.deepEqual(list[0]!.local, { family: 6, addr: 'fe80::1', port: 22 });
  assert.equal(list[0]!.process, 'my "worker" 1');
  assert.equal(list[0]!.pid, 77);
  assert.equal(list[0]!.uid, 1000);
  assert.equal(list[0]!.idleMs, 5);
  assert.deepEqual(list[1]!.local, { family: 4, addr: '192.0.2.1', port: 5432 });
  assert.equal(list[1]!.uid, 0, 'ss -e omits uid:0');
  assert.equal(list[1]!.idleMs, null);
});

/** A fake /proc: the recorded tables plus one process owning one socket. */
function fakeProc(t: { after(fn: () => void): void }, tcp: string, tcp6: string, owned: number): string {
  const root = mkdtempSync(join(tmpdir(), 'kad-fakeproc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net/tcp'), `${tcp}\n`);
  writeFileSync(join(root, 'net/tcp6'), `${tcp6}\n`);
  mkdirSync(join(root, '4242/fd'), { recursive: true });
  writeFileSync(join(root, '4242/comm'), 'fakesrv\n');
  symlinkSync('/dev/null', join(root, '4242/fd/0'));
  symlinkSync(`socket:[${owned}]`, join(root, '4242/fd/7'));
  mkdirSync(join(root, 'self'));
  return root;
}

for (const [family, ss, header] of [
  [4, SS_V4, true],
  [6, SS_V6, false],
] as const) {
  test(`/proc/net/tcp${family === 6 ? '6' : ''} fallback agrees with ss on the same sockets, owners from /proc/PID/fd on request`, (t) => {
    const fromSs = parseSsOutput(ss);
    const owned = fromSs.find((s) => s.keepaliveTimer.state === 'on')!.inode;
    const root = fakeProc(t, header ? PROC_TCP : '', header ? '' : PROC_TCP6, owned);
    const source = createProcSource(defaultRoots({ procRoot: root }));
    const { sockets } = readProcSockets(source);
    assert.equal(sockets.length, fromSs.length, 'listeners are left out, as ss leaves them out');
    assert.ok(
      sockets.every((p) => p.pid === null),
      'the reader resolves no owners: fillOwners does, for the rows that need one',
    );
    fillOwners(sockets, source);
    for (const p of sockets) {
      assert.equal(p.source, 'proc');
      assert.equal(p.idleMs, null, '/proc has no idle clocks');
      const s = fromSs.find((x) => x.local.port === p.local.port && x.peer.port === p.peer.port);
      assert.ok(s, `ss has no ${p.local.port}->${p.peer.port}`);
      const what = `${p.local.port}->${p.peer.port}`;
      assert.equal(p.state, s.state, what);
      assert.deepEqual(p.local, s.local, what);
      assert.deepEqual(p.peer, s.peer, what);
      assert.equal(p.inode, s.inode, what);
      assert.equal(p.timer.name, s.timer.name, what);
      assert.equal(p.keepaliveTimer.state, s.keepaliveTimer.state, what);
      assert.equal(p.probesOut, s.probesOut, what);
      assert.equal(p.sendQ, s.sendQ, what);
      assert.equal(p.recvQ, s.recvQ, what);
      if (p.inode === owned) assert.deepEqual([p.pid, p.process], [4242, 'fakesrv']);
      else assert.equal(p.pid, null, what);
    }
    const ka = sockets.find((p) => p.inode === owned)!;
    // tm->when is in USER_HZ ticks: 0xF6 = 246 ticks = 2.46 s, where ss said 2.472 s a moment earlier.
    if (family === 4) assert.deepEqual(ka.keepaliveTimer, { state: 'on', nextProbeS: 2.46 });
  });
}

// ------------------------------------------------------------------ join and risk

function row(local: [string, number], peer: [string, number], patch: Partial<SocketInfo> = {}): SocketInfo {
  const fam = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);
  const s = newSocketInfo(
    'ss',
    'ESTABLISHED',
    { family: fam(local[0]), addr: local[0], port: local[1] },
    { family: fam(peer[0]), addr: peer[0], port: peer[1] },
  );
  return Object.assign(s, patch);
}

function conn(id: number, client: [string, number], server: [string, number], endEpochS: number): ConnectionReport {
  return {
    id,
    client: { addr: client[0], port: client[1] },
    server: { addr: server[0], port: server[1] },
    end: endEpochS.toFixed(9),
    ended: { kind: 'open', by: null, frame: null, ts: null },
  } as ConnectionReport;
}

test('join: server end, client end, both ends on one host, reused 4-tuple, idle from the capture', () => {
  const now = 1_800_000_000_000;
  const srv = row(['198.51.100.10', 5432], ['192.0.2.10', 40000], { idleMs: 60_000, idleFrom: 'socket' });
  const cli = row(['192.0.2.10', 40000], ['198.51.100.10', 5432], { idleMs: 60_000, idleFrom: 'socket' });
  const v6 = row(['2001:db8:2::10', 443], ['2001:db8:1::10', 50000], { source: 'proc' });
  const stranger = row(['203.0.113.5', 22], ['192.0.2.99', 1234]);
  const conns = [
    conn(1, ['192.0.2.10', 40000], ['198.51.100.10', 5432], now / 1000 - 3600),
    conn(2, ['192.0.2.10', 40000], ['198.51.100.10', 5432], now / 1000 - 5), // same 4-tuple, newer
    conn(3, ['2001:0db8:1:0::10', 50000], ['2001:db8:2::10', 443], now / 1000 - 7),
    conn(4, ['192.0.2.20', 1], ['198.51.100.10', 5432], now / 1000),
  ];
  const joins = joinSockets([srv, cli, v6, stranger], conns, now);
  assert.deepEqual(
    joins.map((j) => [j.conn, j.side, j.socket === null ? null : j.socket.local.port]),
    [
      [1, null, null],
      [2, 'server', 5432],
      [3, 'server', 443],
      [4, null, null],
    ],
  );
  assert.equal(srv.conn, 2);
  assert.equal(cli.conn, 2);
  assert.equal(cli.side, 'client');
  assert.equal(srv.idleMs, 5000, 'the capture saw a packet 5 s ago (a peer keepalive, say)');
  assert.equal(srv.idleFrom, 'capture');
  assert.equal(v6.idleMs, 7000, '/proc rows get their idle time from the capture');
  assert.equal(stranger.conn, null);
});

test("timeout: --idle-timeout, unless the socket's path saw a flow die sooner; then the inferred bracket", () => {
  const inferred: IdleTimeoutInference[] = [
    { path: '198.51.100.10:5432', connections: 3, survivedMaxS: 200, survived: 2, diedMinS: 350, died: 1, consistent: true, matches: [] },
    { path: '[2001:db8:2::10]:443', connections: 1, survivedMaxS: null, survived: 0, diedMinS: 30, died: 1, consistent: true, matches: [] },
  ];
  const timeoutOf = (s: SocketInfo, statedS?: number) =>
    socketPairSilence([s], riskContext({ connections: [], idleTimeouts: inferred }, 0, statedS)).timeout;
  const unjoined = row(['198.51.100.10', 5432], ['192.0.2.10', 40000]);
  const bracket = {
    state: 'bracketed',
    timeoutS: 200,
    lowS: 200,
    highS: 350,
    source: 'inferred',
    from: 'inferred for 198.51.100.10:5432',
    path: '198.51.100.10:5432',
  };
  assert.deepEqual(timeoutOf(unjoined), bracket, 'judged against the lower end: the longest idle that survived');
  assert.deepEqual(timeoutOf(unjoined, 300), {
    state: 'given',
    timeoutS: 300,
    lowS: 300,
    highS: 300,
    source: 'user',
    from: '--idle-timeout',
    path: null,
  });
  assert.deepEqual(timeoutOf(unjoined, 900), bracket, 'a flow died at 350 s: the given 900 s cannot be right for this path');
  const clientSide6 = row(['2001:db8:1::10', 50000], ['2001:db8:2::10', 443]);
  assert.equal(timeoutOf(clientSide6)?.timeoutS, 30, 'the client end finds its path through its peer');
  assert.equal(timeoutOf(clientSide6)?.lowS, null, 'only a death seen: no lower end');
  const joined = conn(9, ['192.0.2.10', 40000], ['2001:db8:2::10', 443], 0);
  assert.equal(
    connectionSilence(joined, [], riskContext({ connections: [joined], idleTimeouts: inferred }, 1))?.timeout?.timeoutS,
    30,
    "joined: the connection's server is the path",
  );
  assert.equal(timeoutOf(row(['192.0.2.1', 1], ['192.0.2.2', 2])), null);
  assert.equal(pathTimeout(['198.51.100.10:5432'], inferred, 0)?.timeoutS, 200, 'a zero --idle-timeout is no timeout');
});

test('at risk: idle nearing the timeout with no keepalive soon enough; never otherwise', () => {
  const now = 1_800_000_000_000;
  const cases: Array<[string, Partial<SocketInfo>, RegExp | null]> = [
    [
      'no keepalive, idle 8 of 10 s',
      { idleMs: 8000 },
      /idle 8\.00 s, 80 % of the 10\.0 s idle timeout given with --idle-timeout, and no keepalive timer/,
    ],
    ['no keepalive, idle 7.9 of 10 s', { idleMs: 7900 }, null],
    ['no keepalive, idle past the timeout', { idleMs: 12_000 }, /already past/],
    ['keepalive due before the timeout', { idleMs: 8000, keepaliveTimer: { state: 'on', nextProbeS: 1.5 } }, null],
    [
      'keepalive due after the timeout',
      { idleMs: 8000, keepaliveTimer: { state: 'on', nextProbeS: 7140 } },
      /next keepalive probe is due in 1 h 59 min, too late/,
    ],
    [
      'unanswered keepalive probes',
      { idleMs: 1000, keepaliveTimer: { state: 'on', nextProbeS: 1 }, probesOut: 3 },
      /3 keepalive probe\(s\) unanswered/,
    ],
    ['no idle clock', { idleMs: null }, null],
    ['TIME-WAIT', { idleMs: 60_000, state: 'TIME_WAIT' }, null],
  ];
  for (const [what, patch, expected] of cases) {
    const s = row(['198.51.100.10', 5432], ['192.0.2.10', 40000], patch);
    annotateSockets([s], null, { idleTimeoutS: 10 }, now);
    if (expected === null) {
      assert.equal(s.atRisk, false, what);
      assert.equal(s.riskReason, null, what);
    } else {
      assert.equal(s.atRisk, true, what);
      assert.match(s.riskReason ?? '', expected, what);
    }
  }
  const quiet = row(['198.51.100.10', 5432], ['192.0.2.10', 40000], { idleMs: 100_000 });
  annotateSockets([quiet], null, {}, now);
  assert.equal(quiet.atRisk, false, 'no timeout known, idle well below the common defaults');
  const noTimeout = row(['198.51.100.10', 5432], ['192.0.2.10', 40000], { idleMs: 1e9 });
  annotateSockets([noTimeout], null, {}, now);
  assert.equal(noTimeout.atRisk, true, 'no timeout known, idle past every common default');
  assert.match(noTimeout.riskReason ?? '', /^unverified: .*past 4 min, the shortest common middlebox default \(azure-lb, .*kad probe/);
});

test('annotateSockets: join + inferred timeout + risk in one pass', () => {
  const now = 1_800_000_000_000;
  const s = row(['198.51.100.10', 5432], ['192.0.2.10', 40000], { idleMs: 300_000, idleFrom: 'socket' });
  const view = {
    connections: [conn(1, ['192.0.2.10', 40000], ['198.51.100.10', 5432], now / 1000 - 290)],
    idleTimeouts: [
      { path: '198.51.100.10:5432', connections: 2, survivedMaxS: 100, survived: 1, diedMinS: 350, died: 1, consistent: true, matches: [] },
    ],
  };
  annotateSockets([s], view, {}, now);
  assert.equal(s.conn, 1);
  assert.equal(s.idleMs, 290_000);
  assert.equal(s.atRisk, true);
  assert.match(
    s.riskReason!,
    /idle 4 min 50 s \(per the capture\), already past 1 min 40 s, the longest idle that survived on 198\.51\.100\.10:5432 \(T ≤ 5 min 50 s\)/,
  );
});
