// Use 1: the whole Worker. fetch → the Hono API, scheduled (Cron Trigger) → beat tick (use 4),
// queue → runs the tasks from Cloudflare Queues.
import { celeriacWorker } from "../../workers/cloudflare/mod.ts";
import { build, routes, type Env } from "./tasks.ts";

export default celeriacWorker<Env>(build, { hono: routes });
