/**
 * Warm and cold shutdown of the long-running subcommands (`worker`, `beat`, `events`).
 * @module
 */
import process from "node:process";
import { log } from "./log.ts";

/**
 * Aborted by the first SIGINT/SIGTERM (or by the caller); a signal more than a second later exits
 * at once with 130 (SIGINT) or 143 (SIGTERM). Closer ones are the first one again: a Ctrl+C or a systemd stop reaches both a
 * wrapper (tsx) and this process, and the wrapper may relay it once more.
 */
export function stopOnSignals(what: string, doing: string): AbortController {
  const ctrl = new AbortController();
  let first = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (first && Date.now() - first < 1000) return;
    first ||= Date.now();
    if (ctrl.signal.aborted) {
      log(`${what}: ${sig} again, cold shutdown`, "warning");
      process.exit(sig === "SIGINT" ? 130 : 143); // what a shell (and npx) reports for the signal
    }
    log(`${what}: ${sig}, warm shutdown: ${doing} (send it again to quit at once)`);
    ctrl.abort();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      process.on(sig, onSignal);
    } catch { /* a runtime that cannot listen to this signal (Deno on Windows: SIGTERM) */ }
  }
  return ctrl;
}
