import { connect, type Socket } from 'node:net';
import { endpointText } from '../util/ip-text.js';
import type { SocketEntry } from '../sockets/socket-table.js';
import { timerSeconds } from '../sockets/socket-table.js';
import type { ProcTcpWatcher } from './proc-net-tcp.js';

export type ProbeMethod = 'keepalive' | 'data';

/** survived/reset/silent-drop say something about the path; the rest do not. */
export type TrialOutcome = 'survived' | 'reset' | 'silent-drop' | 'closed' | 'error' | 'cancelled';

export interface TrialResult {
  idleS: number;
  outcome: TrialOutcome;
  localPort: number;
  /** Epoch ms. */
  connectedAt: number;
  decidedAt: number;
  /**
   * Idle time since the last segment received when the path showed its hand:
   * the RST's arrival, the first unanswered probe, or the unacknowledged write.
   */
  observedIdleS: number | null;
  /** errno of the socket's error, when it had one. */
  code: string | null;
  evidence: string;
}

export interface TrialEnv {
  address: string;
  port: number;
  family: 4 | 6;
  method: ProbeMethod;
  /** null: /proc/net/tcp is not readable, only errors and deadlines decide. */
  proc: ProcTcpWatcher | null;
  connectTimeoutMs?: number;
}

/** libuv's fixed values behind Node's socket.setKeepAlive (TCP_KEEPINTVL, TCP_KEEPCNT). */
export const KEEPINTVL_S = 1;
export const KEEPCNT = 10;
/**
 * The keepalive is switched on this long before it is due, not at connect:
 * the kernel's timer wheel rounds long timers up by up to 1/8 (a 350 s timer
 * can fire 16–32 s late), short ones by a few ms only.
 */
const ARM_LEAD_MS = 500;
/** Without /proc: a dropped probe would have produced ETIMEDOUT by now. */
const KEEPALIVE_FALLBACK_MS = (KEEPCNT * KEEPINTVL_S + 3) * 1000;
/** A written byte still unacknowledged this long after the write: several retransmissions went unanswered. */
export const DATA_WAIT_MS = 3000;
const DATA_FALLBACK_MS = DATA_WAIT_MS + 2000;
/** A RST this much before the probe or byte was due was not an answer to it: the path resets idle flows on its own. */
export const EARLY_RESET_S = 0.5;
/** The one byte written in --allow-data mode: a newline is what line-based and HTTP servers tolerate best. */
const DATA_BYTE = Buffer.from('\n');

/** Longest a trial can take after its idle ends, for the time budget. */
export function decisionAllowanceS(method: ProbeMethod): number {
  return (method === 'keepalive' ? KEEPALIVE_FALLBACK_MS : DATA_FALLBACK_MS) / 1000;
}

export class ConnectFailure extends Error {
  constructor(
    readonly target: string,
    readonly code: string,
  ) {
    super(`cannot connect to ${target}: ${code}`);
    this.name = 'ConnectFailure';
  }
}

/**
 * One connection: connect, stay idle for `idleS`, then test the path with a
 * keepalive probe or one byte, and settle on what became of it.
 */
export class Trial {
  readonly done: Promise<TrialResult>;
  /** The verdict once there is one: the same value `done` resolves to, available synchronously. */
  result: TrialResult | null = null;
  private settle!: (r: TrialResult) => void;
  private decided = false;
  private lastRx: number;
  private writeAt: number | null = null;
  private armed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unwatch: (() => void) | null = null;

  /** Kept from connect time: a socket destroyed by an error no longer knows its address. */
  readonly localPort: number;
  private readonly localAddress: string;

  private constructor(
    private readonly env: TrialEnv,
    readonly idleS: number,
    private readonly socket: Socket,
    readonly connectedAt: number,
  ) {
    this.lastRx = connectedAt;
    this.localPort = socket.localPort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.done = new Promise((resolve) => (this.settle = resolve));
    socket.on('data', () => this.onData());
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    socket.on('close', () => this.decide('closed', null, 'the connection closed without an error'));
    this.schedule();
  }

  static open(env: TrialEnv, idleS: number): Promise<Trial> {
    const target = endpointText({ addr: env.address, port: env.port });
    return new Promise((resolve, reject) => {
      const socket = connect({ host: env.address, port: env.port, family: env.family, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectFailure(target, `no answer within ${(env.connectTimeoutMs ?? 10_000) / 1000} s`));
      }, env.connectTimeoutMs ?? 10_000);
      const fail = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(new ConnectFailure(target, err.code ?? err.message));
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new Trial(env, idleS, socket, Date.now()));
      });
    });
  }

  /** Ends the trial without a verdict (the bracket moved past it, or time is up). */
  cancel(evidence: string): void {
    this.decide('cancelled', null, evidence);
  }

  /** Idle is counted from the last segment received, as the kernel counts it for keepalive. */
  private schedule(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    const due = this.lastRx + this.idleS * 1000;
    const at = (when: number, fn: () => void): void => void this.timers.push(setTimeout(fn, Math.max(0, when - Date.now())));
    if (this.env.method === 'keepalive') {
      if (!this.armed) at(due - ARM_LEAD_MS, () => this.arm());
      at(due, () => this.watch());
      at(due + KEEPALIVE_FALLBACK_MS, () =>
        this.decide(
          'survived',
          null,
          `no error within ${KEEPALIVE_FALLBACK_MS / 1000} s of the probe (no /proc/net/tcp to see its answer)`,
        ),
      );
    } else {
      at(due, () => this.writeByte());
    }
  }

  private arm(): void {
    this.armed = true;
    // TCP_KEEPIDLE counts from the last received segment, so arming late does not move the probe.
    this.socket.setKeepAlive(true, this.idleS * 1000);
  }

  private writeByte(): void {
    this.writeAt = Date.now();
    this.socket.write(DATA_BYTE);
    this.watch();
    this.timers.push(
      setTimeout(
        () => this.decide('error', null, 'could not tell whether the byte arrived: the socket vanished from /proc/net/tcp', 'UNDECIDED'),
        DATA_FALLBACK_MS,
      ),
    );
  }

  private watch(): void {
    if (!this.env.proc || this.unwatch || this.decided) return;
    const local = { addr: this.localAddress, port: this.localPort };
    const remote = { addr: this.env.address, port: this.env.port };
    this.unwatch = this.env.proc.watch(local, remote, (st, now) => this.onProc(st, now));
  }

  private onProc(st: SocketEntry | undefined, now: number): void {
    if (!st || st.state !== 'ESTABLISHED') return;
    if (this.env.method === 'keepalive') {
      // Once the probe is out, the timer is re-armed (probe interval or a new idle) and runs again;
      // probes_out back at 0 means the answer came. Before the probe the timer is still due (0).
      if (now >= this.lastRx + this.idleS * 1000 && st.timer === 'keepalive' && st.probesOut === 0 && timerSeconds(st) > 0) {
        this.decide('survived', null, 'the keepalive probe was answered');
      }
      return;
    }
    if (this.writeAt === null) return;
    if (st.txQueue === 0) this.decide('survived', null, 'the byte was acknowledged');
    else if (now - this.writeAt >= DATA_WAIT_MS) {
      this.decide(
        'silent-drop',
        (this.writeAt - this.lastRx) / 1000,
        `the byte was still unacknowledged after ${((now - this.writeAt) / 1000).toFixed(1)} s and ${st.retransmits} retransmission(s)`,
      );
    }
  }

  private onData(): void {
    if (this.decided) return;
    if (this.writeAt !== null) {
      this.decide('survived', null, 'the server answered the byte');
      return;
    }
    // The server spoke: the idle clock (ours and the kernel's) starts again.
    this.lastRx = Date.now();
    this.schedule();
  }

  private onEnd(): void {
    if (this.writeAt !== null) this.decide('survived', null, 'the server answered the byte by closing');
    else this.decide('closed', null, `the server closed the connection after ${((Date.now() - this.lastRx) / 1000).toFixed(1)} s idle`);
  }

  private onError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUNKNOWN';
    const now = Date.now();
    const sinceRx = (now - this.lastRx) / 1000;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      const observed = this.writeAt !== null ? (this.writeAt - this.lastRx) / 1000 : sinceRx;
      const early = observed < this.idleS - EARLY_RESET_S;
      const what = this.env.method === 'keepalive' ? 'probe' : 'byte';
      this.decide(
        'reset',
        observed,
        early
          ? `reset after ${observed.toFixed(1)} s idle, before the ${what}: the path resets idle flows on its own`
          : `a RST answered the ${what}`,
        code,
      );
    } else if (code === 'ETIMEDOUT') {
      if (this.env.method === 'keepalive') {
        // The kernel gives up KEEPCNT probes after the first one.
        this.decide(
          'silent-drop',
          Math.max(this.idleS, sinceRx - KEEPCNT * KEEPINTVL_S),
          `${KEEPCNT} keepalive probes went unanswered (ETIMEDOUT)`,
          code,
        );
      } else {
        this.decide(
          'silent-drop',
          this.writeAt !== null ? (this.writeAt - this.lastRx) / 1000 : sinceRx,
          'the kernel gave up retransmitting (ETIMEDOUT)',
          code,
        );
      }
    } else {
      this.decide('error', sinceRx, `socket error ${code}`, code);
    }
  }

  private decide(outcome: TrialOutcome, observedIdleS: number | null, evidence: string, code: string | null = null): void {
    if (this.decided) return;
    this.decided = true;
    for (const t of this.timers.splice(0)) clearTimeout(t);
    this.unwatch?.();
    this.unwatch = null;
    const localPort = this.localPort;
    // A black-holed connection would otherwise retransmit (and linger in FIN_WAIT) for minutes.
    if (outcome === 'silent-drop' && !this.socket.destroyed) this.socket.resetAndDestroy();
    else this.socket.destroy();
    const observed = observedIdleS === null ? null : Math.round(observedIdleS * 1000) / 1000;
    this.result = {
      idleS: this.idleS,
      outcome,
      localPort,
      connectedAt: this.connectedAt,
      decidedAt: Date.now(),
      observedIdleS: observed,
      code,
      evidence,
    };
    this.settle(this.result);
  }
}
