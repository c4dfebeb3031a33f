/**
 * Messages waiting for an instant (ETA, countdown, retry delay), in a binary min-heap: adding
 * one and taking the next due one cost O(log n), so a claim does not scan every far-future
 * message. Messages due at the same instant come out in the order they were added.
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

  get length(): number {
    return this.heap.length;
  }

  /** Add `item`, due at `at`. */
  add(at: number, item: T): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, item });
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
    while (this.heap.length && this.heap[0]!.at <= now) out.push(this.pop());
    return out;
  }

  private pop(): T {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
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
