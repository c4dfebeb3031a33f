/**
 * Child abort controllers that share one listener on their parent signal, so any number of
 * tasks running at once under one worker signal add a single "abort" listener to it (Node warns
 * above 10 listeners on one EventTarget: MaxListenersExceededWarning).
 * @module
 */

const children = new WeakMap<AbortSignal, Set<AbortController>>();

/** A controller aborted (with the parent's reason) when `parent` aborts; `release` detaches it. */
export function childController(parent?: AbortSignal): { ctrl: AbortController; release: () => void } {
  const ctrl = new AbortController();
  if (!parent) return { ctrl, release: () => {} };
  if (parent.aborted) {
    ctrl.abort(parent.reason);
    return { ctrl, release: () => {} };
  }
  let set = children.get(parent);
  if (!set) {
    const members = new Set<AbortController>();
    children.set(parent, set = members);
    parent.addEventListener("abort", () => {
      children.delete(parent);
      for (const c of members) c.abort(parent.reason);
      members.clear();
    }, { once: true });
  }
  const mine = set;
  mine.add(ctrl);
  return { ctrl, release: () => void mine.delete(ctrl) };
}
