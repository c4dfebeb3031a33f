/**
 * Items by due time in a binary min-heap: adding one and taking the next due one cost O(log n),
 * so a claim does not scan every far-future message. Items due at the same instant come out in
 * the order they were added. The memory broker keeps its delayed messages in one (ETA,
 * countdown, retry delay), and the waiting messages of each queue in another, by priority step.
 * @module
 */

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/** A min-heap of items by due time (epoch ms). */
export class Timeline<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;
  /** Tie-breaker of the latest `first` add (counts down, so it sorts before every other). */
  private front = 0;

  get length(): number {
    return this.heap.length;
  }

  /** Add `item`, due at `at`; with `first`, before every item already due then (a FIFO's unshift). */
  add(at: number, item: T, first = false): void {
    const h = this.heap;
    const e = { at, seq: first ? --this.front : this.seq++, item };
    // Sift up: move parents down into the hole until `e` fits.
    let i = h.length;
    for (let up; i > 0 && before(e, h[up = (i - 1) >> 1]!); i = up) h[i] = h[up]!;
    h[i] = e;
  }

  /** Remove and return the earliest item if it is due at or before `now`, else undefined. */
  shift(now = Infinity): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top || top.at > now) return undefined;
    const last = h.pop()!;
    // Sift down from the root: move the earlier child up into the hole until `last` fits.
    let i = 0;
    for (let c; (c = 2 * i + 1) < h.length; i = c) {
      if (c + 1 < h.length && before(h[c + 1]!, h[c]!)) c++;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
    }
    if (h.length) h[i] = last;
    return top.item;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
