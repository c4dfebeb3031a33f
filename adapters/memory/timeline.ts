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
    h.push({ at, seq: first ? --this.front : this.seq++, item });
    let i = h.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!before(h[i]!, h[up]!)) break;
      [h[i], h[up]] = [h[up]!, h[i]!];
      i = up;
    }
  }

  /** Remove and return every item due at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const out: T[] = [];
    for (let item; (item = this.shift(now)) !== undefined;) out.push(item);
    return out;
  }

  /** Remove and return the earliest item if it is due at or before `now`, else undefined. */
  shift(now = Infinity): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top || top.at > now) return undefined;
    const last = h.pop();
    if (h.length) {
      h[0] = last!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.item;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
