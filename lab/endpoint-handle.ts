import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LabError, stopChild } from './exec.js';
import type { Cleanup } from './cleanup.js';
import type { EndpointCommand, EndpointEvent, EventName, EventOf } from './endpoint-protocol.js';

const ENDPOINT_JS = fileURLToPath(new URL('./endpoint.js', import.meta.url));

interface Waiter {
  ev: EventName;
  from: number;
  resolve: (e: EndpointEvent) => void;
}

/** The lab's side of one endpoint process: send commands, await its events. */
export class EndpointHandle {
  readonly events: EndpointEvent[] = [];
  private waiters: Waiter[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    createInterface({ input: child.stdout }).on('line', (line) => this.onEvent(JSON.parse(line) as EndpointEvent));
    child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(`[${name}] ${d}`));
  }

  static start(name: string, ns: string, args: string[], cleanup: Cleanup): EndpointHandle {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ENDPOINT_JS, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const handle = new EndpointHandle(name, child);
    cleanup.add(
      `stop ${name} endpoint`,
      () => handle.stop(),
      () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    );
    return handle;
  }

  private onEvent(e: EndpointEvent): void {
    this.events.push(e);
    const index = this.events.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (w.ev !== e.ev || index < w.from) return true;
      w.resolve(e);
      return false;
    });
  }

  /** Position in the event list; pass to waitFor to ignore what happened before. */
  mark(): number {
    return this.events.length;
  }

  send(cmd: EndpointCommand): void {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The first `ev` event at or after `from`, already received or still to come. */
  waitFor<E extends EventName>(ev: E, timeoutMs: number, from = 0): Promise<EventOf<E>> {
    const seen = this.events.slice(from).find((e) => e.ev === ev);
    if (seen) return Promise.resolve(seen as EventOf<E>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const recent =
          this.events
            .slice(from)
            .map((e) => e.ev)
            .join(', ') || 'nothing';
        reject(new LabError(`${this.name}: no '${ev}' within ${timeoutMs} ms (saw: ${recent})`));
      }, timeoutMs);
      const waiter: Waiter = {
        ev,
        from,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as EventOf<E>);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Events of one kind at or after `from`. */
  all<E extends EventName>(ev: E, from = 0): Array<EventOf<E>> {
    return this.events.slice(from).filter((e): e is EventOf<E> => e.ev === ev);
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    await stopChild(this.child, this.exited);
  }
}
