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
  let listened = false;
  let seenAfterAbort = false;
  const proto = AbortSignal.prototype;
  const getter = (key: "aborted" | "reason") => Object.getOwnPropertyDescriptor(proto, key)!.get!;
  const aborted = getter("aborted");
  const reason = getter("reason");
  const look = (): void => void (aborted.call(signal) && (seenAfterAbort = true));
  Object.defineProperties(signal, {
    aborted: { configurable: true, get: () => (look(), aborted.call(signal)) },
    reason: { configurable: true, get: () => (look(), reason.call(signal)) },
    throwIfAborted: { configurable: true, value: () => (look(), proto.throwIfAborted.call(signal)) },
    addEventListener: {
      configurable: true,
      value: (type: string, ...rest: unknown[]) => {
        if (type === "abort" && !aborted.call(signal)) listened = true;
        return (proto.addEventListener as (...a: unknown[]) => void).call(signal, type, ...rest);
      },
    },
  });
  let viaOnabort = false;
  const onabort = Object.getOwnPropertyDescriptor(EventTarget.prototype, "onabort") ?? Object.getOwnPropertyDescriptor(proto, "onabort");
  if (onabort?.set) {
    Object.defineProperty(signal, "onabort", {
      configurable: true,
      get: () => onabort.get!.call(signal),
      set: (fn: unknown) => (viaOnabort = typeof fn === "function", onabort.set!.call(signal, fn)),
    });
  }
  return {
    ignored: () => aborted.call(signal) && reason.call(signal) instanceof SoftTimeLimitExceeded && !listened && !viaOnabort && !seenAfterAbort,
  };
}
