import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const code = (p: string): string => readFileSync(p, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");

describe("layer boundaries", () => {
  it("src/ uses web standards only (no node:, Deno., Bun., process)", () => {
    const offenders = files("src").filter((p) => /from\s+["']node:|\bDeno\.|\bBun\.|\bprocess\.|require\(/.test(code(p)));
    expect(offenders).toEqual([]);
  });

  it("src/ never imports vendor SDKs (they live in adapters/)", () => {
    const offenders = files("src").filter((p) => /from\s+["'](@upstash\/|hono|ioredis|redis)/.test(code(p)));
    expect(offenders).toEqual([]);
  });

  it("relative imports carry an explicit .ts extension", () => {
    const bad: string[] = [];
    for (const p of [...files("src"), ...files("adapters"), "mod.ts"]) {
      for (const m of code(p).matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) if (!m[1].endsWith(".ts")) bad.push(`${p}: ${m[1]}`);
    }
    expect(bad).toEqual([]);
  });
});
