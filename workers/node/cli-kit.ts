/**
 * Pieces shared by the `celeriac` subcommands: the {@link Subcommand} shape, {@link UsageError},
 * number flags. Logging is in ./log.ts, signals in ./signals.ts, `-A` in ./app-loader.ts.
 * @module
 */

/** One subcommand: `run` resolves to an exit code, or to undefined when it keeps running (a server). */
export interface Subcommand {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | undefined>;
}

/** Bad flags or arguments (exit code 2); printed with the command's usage when `showUsage`. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly showUsage = true) {
    super(message);
  }
}

/**
 * A flag's value as a number ≥ `min` (a whole number unless `fractional`); undefined when the
 * flag was not given. Throws {@link UsageError} otherwise.
 */
export function numberFlag(text: string | undefined, flag: string, min = 1, fractional = false): number | undefined {
  if (text === undefined) return undefined;
  const pattern = fractional ? /^\d+(\.\d+)?$/ : /^\d+$/;
  const n = pattern.test(text) ? Number(text) : NaN;
  if (!(n >= min) || !Number.isFinite(n)) {
    throw new UsageError(`${flag} must be a ${fractional ? "number" : "whole number"} ≥ ${min}, got "${text}"`);
  }
  return n;
}
