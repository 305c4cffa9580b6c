import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import type { CrossEvidence } from '../diagnose/diagnose-capture.js';
import { KernelJoin, type CaptureMatch } from '../diagnose/kernel-evidence.js';
import { KernelLog, localAddresses, type LoggedKernelEvent } from '../kernel/kernel-log.js';
import { TraceSession } from '../kernel/trace-session.js';
import { socketOwners, type SocketOwner } from '../sockets/socket-owners.js';
import type { SocketInfo } from '../sockets/socket-types.js';

/** How often trace_pipe is drained: the kernel's per-CPU buffer must not fill between reads. */
const POLL_MS = 100;
/**
 * An event is emitted this long after it happened, not at once: its packet
 * (a captured RST) must have reached the tracker before the two are joined.
 */
export const KERNEL_HOLD_S = 0.5;
/** New reset verdicts wait as long (LiveModel verdictHoldMs): their kernel event is then read and joined. */
export const KERNEL_VERDICT_HOLD_MS = KERNEL_HOLD_S * 1000;

/**
 * `--kernel`: the trace session, the log of recent events joined to the
 * socket table, and, each refresh, their join to the capture (evidence for
 * the live model's diagnosis). Owners are resolved once per socket as it
 * appears (an event's socket is usually closed by the time it is read).
 */
export class KernelSource {
  readonly session: TraceSession;
  readonly log: KernelLog;
  private readonly timer: NodeJS.Timeout;
  private emitted = 0;
  private join: KernelJoin | null = null;
  private readonly owners = new Map<number, SocketOwner>();

  constructor(command: string, warn: (line: string) => void) {
    this.session = new TraceSession(undefined, command);
    for (const tp of this.session.missing) warn(`kad: tracepoint ${tp} is missing on this kernel: carrying on without it`);
    this.log = new KernelLog(this.session.wallOffsetS);
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  poll(): void {
    this.log.add(this.session.read());
  }

  /** Each socket-table read. Fills pid/process from the owner cache; walks /proc only when new sockets appeared. */
  sockets(list: SocketInfo[]): void {
    const want = new Set<number>();
    const present = new Set<number>();
    for (const s of list) {
      if (s.inode === 0) continue;
      present.add(s.inode);
      if (s.pid === null && !this.owners.has(s.inode)) want.add(s.inode);
    }
    if (want.size > 0) for (const [inode, o] of socketOwners(want)) this.owners.set(inode, o);
    for (const inode of this.owners.keys()) if (!present.has(inode)) this.owners.delete(inode);
    const now = Date.now();
    for (const s of list) {
      // Idle clocks hold at the read (annotateSockets sets this too, with --sockets).
      s.readAtMs ??= now;
      const o = s.pid === null ? this.owners.get(s.inode) : undefined;
      if (o) {
        s.pid = o.pid;
        s.process = o.process;
      }
    }
    this.log.sockets(list);
  }

  /** The live model's cross evidence, each refresh: the newest events joined to the capture. */
  cross(analysis: CaptureAnalysis): CrossEvidence {
    this.poll();
    this.join = new KernelJoin(analysis, this.log.recent, { startedS: this.session.startedS, locals: localAddresses() });
    return this.join.cross();
  }

  /** Events older than KERNEL_HOLD_S not handed out yet, with their match in the capture as of the last refresh. */
  due(nowS = Date.now() / 1000, final = false): Array<{ ev: LoggedKernelEvent; match: CaptureMatch | null }> {
    this.poll();
    const out: Array<{ ev: LoggedKernelEvent; match: CaptureMatch | null }> = [];
    const ring = this.log.recent;
    // Seqs are consecutive in the ring: start at the first one not handed out.
    const first = ring.length === 0 ? 0 : Math.max(0, this.emitted + 1 - ring[0]!.seq);
    for (let i = first; i < ring.length; i++) {
      const ev = ring[i]!;
      if (!final && ev.wallS > nowS - KERNEL_HOLD_S) break;
      out.push({ ev, match: this.join?.match(ev) ?? null });
      this.emitted = ev.seq;
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
    this.session.close();
  }
}
