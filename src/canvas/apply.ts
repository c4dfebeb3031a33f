/**
 * Sending canvas signatures (chain, group, chord, map, starmap, chunks) by `subtask_type`.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { AsyncResult } from "../result.ts";
import type { SignatureDict } from "../types.ts";
import type { ApplyOptions } from "./signature.ts";
import type { Celeriac } from "../app.ts";

/** Send a canvas signature. */
export function applyCanvas(_app: Celeriac, sig: SignatureDict, _args: unknown[], _opts: ApplyOptions): Promise<AsyncResult> {
  return Promise.reject(new ConfigError(`canvas type ${sig.subtask_type} is not supported yet`));
}
