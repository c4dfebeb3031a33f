/**
 * Text helpers of `celeriac inspect`, `result` and `events`: tables, stored exceptions as
 * Celery's repr, the task of an envelope.
 * @module
 */
import { decodeMessage } from "../../mod.ts";

/** What an action prints: `json` with --json, else the lines of `text`. */
export interface Output { json: unknown; text: string[] }

// The task of a dead letter, when its payload is a valid Celery envelope.
export function taskOf(payload: string): { task: string | null; id: string | null } {
  try {
    const { headers } = decodeMessage(payload);
    return { task: headers.task, id: headers.id };
  } catch {
    return { task: null, id: null };
  }
}

// A value as JSON; a stored exception as Celery's repr: `RangeError('boom')`.
export function resultText(r: unknown): string {
  const { exc_type, exc_message } = (r ?? {}) as { exc_type?: unknown; exc_message?: unknown };
  if (typeof exc_type !== "string") return `result: ${JSON.stringify(r)}`;
  const args = Array.isArray(exc_message) ? exc_message : [exc_message];
  return `exception: ${exc_type}(${args.map((a) => (typeof a === "string" ? `'${a}'` : JSON.stringify(a))).join(", ")})`;
}

// Columns padded to their widest cell (the last one is not); `empty` when there are no rows under the header.
export function table(rows: string[][], empty = "(none)"): string[] {
  if (rows.length === 1) return [empty];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ").trimEnd());
}
