import { spawn } from "node:child_process";
import process from "node:process";
import { Client } from "@upstash/qstash";
import { expect, it } from "vitest";
import { DEV_CREDENTIALS } from "../../workers/qstash-dev/mod.ts";
import { ensureRedis } from "../support/redis.ts";

// `celeriac dev` serves the local QStash API beside the Upstash endpoint (--qstash-port).
it("celeriac dev --qstash-port serves GET /v2/keys with the dev pair and accepts the official Client", async () => {
  const redis = await ensureRedis();
  const child = spawn("node_modules/.bin/tsx", ["workers/node/cli.ts", "dev", "--port", "0", "--qstash-port", "0"], {
    stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, REDIS_URL: redis.url },
  });
  try {
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d) => {
        out += String(d);
        const m = /QSTASH_URL=(\S+)/.exec(out);
        if (m && /QSTASH_NEXT_SIGNING_KEY=/.test(out)) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`celeriac dev exited ${code}: ${out}`)));
    });
    expect(out).toContain(`QSTASH_TOKEN=${DEV_CREDENTIALS.token}`);
    expect(out).toContain(`QSTASH_CURRENT_SIGNING_KEY=${DEV_CREDENTIALS.currentSigningKey}`);
    const keys = await fetch(`${url}/v2/keys`, { headers: { authorization: `Bearer ${DEV_CREDENTIALS.token}` } });
    expect(await keys.json()).toEqual({ current: DEV_CREDENTIALS.currentSigningKey, next: DEV_CREDENTIALS.nextSigningKey });
    const client = new Client({ baseUrl: url, token: DEV_CREDENTIALS.token, retry: false });
    const { scheduleId } = await client.schedules.create({ destination: "http://127.0.0.1:9/tick", cron: "0 0 1 1 *" });
    expect((await client.schedules.list()).map((s) => s.scheduleId)).toEqual([scheduleId]);
  } finally {
    child.kill("SIGTERM");
    await redis.stop();
  }
});
