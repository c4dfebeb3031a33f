/**
 * Beat: periodic task entries sent exactly once per slot, from any trigger. (Placeholder:
 * replaced by the beat implementation.)
 * @module
 */
import type { Celeriac } from "../app.ts";

/** The scheduler bound to an app (`app.beat`). */
export class Beat {
  constructor(readonly app: Celeriac) {}
}
