/**
 * Items by due time in a binary min-heap: adding one and taking the next due one cost O(log n),
 * so a claim does not scan every far-future message. Items due at the same instant come out in
 * the order they were added. The memory broker keeps its delayed messages in one (ETA,
 * countdown, retry delay) and uses one per queue as a FIFO (`push`, `unshift`, `shift`).
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
  /** Due time of the latest `unshift`: each one goes before everything added so far. */
  private front = 0;

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

  /** As a FIFO: add at the back (due at 0, after the items already due then). */
  push(item: T): void {
    this.add(0, item);
  }

  /** As a FIFO: add at the front (the next `shift` returns it). */
  unshift(item: T): void {
    this.add(--this.front, item);
  }

  /** Remove and return every item due at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const out: T[] = [];
    while (this.heap.length && this.heap[0]!.at <= now) out.push(this.shift()!);
    return out;
  }

  /** Remove and return the earliest item, or undefined when empty. */
  shift(): T | undefined {
    const h = this.heap;
    const top = h[0];
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
    return top?.item;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
