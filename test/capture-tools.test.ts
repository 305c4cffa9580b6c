import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kadCaptureTool, tcpdumpTool } from '../src/live/capture-tools.js';

// The drop count is what makes an absence trustworthy: each child's counters
// line must be read, and nothing else mistaken for it.

test("kad-capture's counters: drops plus interface drops; other lines are complaints", () => {
  const tool = kadCaptureTool({ device: 'veth0', filter: 'tcp port 443', bufferSize: 1 << 20 }, '/x/kad-capture');
  assert.equal(tool.drops('kad-capture: stats received=1200 dropped=17 ifdropped=3'), 20);
  assert.equal(tool.drops('kad-capture: stats received=0 dropped=0 ifdropped=0'), 0);
  assert.equal(tool.drops('kad-capture: veth0: No such device exists'), null);
  assert.equal(tool.chatter('kad-capture: veth0: No such device exists'), false);
  assert.equal(tool.statsSignal, null, 'it reports every second on its own');
  assert.deepEqual(tool.args, ['-i', 'veth0', '-s', '65535', '-B', String(1 << 20), '-t', '100', 'tcp port 443']);
});

test("tcpdump's counters come on SIGUSR1; its banner is chatter", () => {
  const tool = tcpdumpTool({ device: 'any', bufferSize: 4096 * 1024 });
  assert.equal(tool.statsSignal, 'SIGUSR1');
  assert.equal(tool.drops('5 packets captured, 7 packets received by filter, 2 packets dropped by kernel'), 2);
  assert.equal(tool.drops('2 packets dropped by kernel'), 2);
  assert.equal(tool.drops('1 packet dropped by kernel'), 1);
  assert.ok(tool.chatter('tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 65535 bytes'));
  assert.ok(tool.chatter('5 packets captured'));
  assert.ok(!tool.chatter("tcpdump: any: You don't have permission to perform this capture on that device"));
  assert.ok(tool.args.includes('4096'), '-B is in KiB');
});
