/** A feed that knows its own capture-time "now" (a replay's virtual clock). */
export interface ClockedFeed {
  captureNowEpochS(): number | null;
}

export function isClockedFeed(feed: object): feed is ClockedFeed {
  return typeof (feed as Partial<ClockedFeed>).captureNowEpochS === 'function';
}

/**
 * "Now" on the capture's clock, in seconds after the tracker's time base,
 * so that idle times keep growing between packets. A replay supplies its
 * virtual clock. A live source stamps packets on arrival, so its clock
 * advances like the wall clock since the latest packet; this holds even for
 * a pcap stream whose timestamps lag the wall clock. Once the source has
 * ended, time stops at its last packet.
 */
export class CaptureClock {
  private anchorRel = Number.NEGATIVE_INFINITY;
  private anchorWall = 0;
  private ended = false;

  constructor(
    private readonly feed: object,
    private readonly wallNowMs: () => number = Date.now,
  ) {}

  /** Latest packet time seen (seconds after the time base). */
  observe(lastRelS: number): void {
    if (lastRelS > this.anchorRel) {
      this.anchorRel = lastRelS;
      this.anchorWall = this.wallNowMs();
    }
  }

  end(): void {
    this.ended = true;
  }

  /** Null until the first packet. */
  nowRel(baseEpochS: number): number | null {
    if (isClockedFeed(this.feed)) {
      const e = this.feed.captureNowEpochS();
      if (e !== null) return Math.max(e - baseEpochS, this.anchorRel);
    }
    if (this.anchorRel === Number.NEGATIVE_INFINITY) return null;
    if (this.ended) return this.anchorRel;
    return this.anchorRel + (this.wallNowMs() - this.anchorWall) / 1000;
  }
}
