/**
 * Did a task observe its soft time limit? In Celery the soft limit raises
 * `SoftTimeLimitExceeded` inside the task: a task that catches it may still return normally
 * (SUCCESS); one that never sees it fails with it. JS cannot raise inside a running function,
 * so the limit aborts the task's `signal` instead, and a task counts as having caught it when
 * an abort listener it added ran (also through an API it passed the signal to, such as fetch),
 * or it read `signal.aborted` / `signal.reason` / called `signal.throwIfAborted()` after the
 * abort. A task that returns normally without that ends FAILURE `SoftTimeLimitExceeded`, as in
 * Celery (docs/celery-interop.md).
 * @module
 */
import { SoftTimeLimitExceeded } from "../errors.ts";

/** Watch `signal` (the one handed to the task); `ignored()` after the task returned. */
export function watchSoftLimit(signal: AbortSignal): { ignored(): boolean } {
  // An abort listener added before the abort, or the signal read after it.
  let noticed = false;
  const proto = AbortSignal.prototype;
  const desc = (on: object, key: string) => Object.getOwnPropertyDescriptor(on, key);
  const aborted = desc(proto, "aborted")!.get!;
  const reason = desc(proto, "reason")!.get!;
  const look = (): void => void (aborted.call(signal) && (noticed = true));
  let viaOnabort = false;
  const onabort = desc(EventTarget.prototype, "onabort") ?? desc(proto, "onabort");
  Object.defineProperties(signal, {
    aborted: { configurable: true, get: () => (look(), aborted.call(signal)) },
    reason: { configurable: true, get: () => (look(), reason.call(signal)) },
    throwIfAborted: { configurable: true, value: () => (look(), proto.throwIfAborted.call(signal)) },
    addEventListener: {
      configurable: true,
      value: (type: string, ...rest: unknown[]) => {
        if (type === "abort" && !aborted.call(signal)) noticed = true;
        return (proto.addEventListener as (...a: unknown[]) => void).call(signal, type, ...rest);
      },
    },
    ...onabort?.set && {
      onabort: {
        configurable: true,
        get: () => onabort.get!.call(signal),
        set: (fn: unknown) => (viaOnabort = typeof fn === "function", onabort.set!.call(signal, fn)),
      },
    },
  });
  return {
    ignored: () => aborted.call(signal) && reason.call(signal) instanceof SoftTimeLimitExceeded && !noticed && !viaOnabort,
  };
}
