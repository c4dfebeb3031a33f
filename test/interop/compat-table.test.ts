import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The README's compatibility table cannot drift from the interop tests: every row names a test
// in test/interop/ that exists (and, being in this suite, passed with it), or says "none" for
// an unsupported feature.
const dir = new URL(".", import.meta.url).pathname;
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const table = readme.split("<!-- compat-table:start -->")[1]?.split("<!-- compat-table:end -->")[0] ?? "";
const rows = table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Feature") && !l.startsWith("|---"))
  .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));

function testNames(file: string): string[] {
  const src = readFileSync(`${dir}${file}`, "utf8");
  return [...src.matchAll(/^\s*it\("((?:[^"\\]|\\.)*)"/gm)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

describe("README compatibility table", () => {
  it("has rows, each with a status of works / differs / unsupported", () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(r, r.join(" | ")).toHaveLength(5);
      expect(["works", "differs", "unsupported"]).toContain(r[2]);
    }
  });

  it("every row names an interop test that exists (only unsupported rows may say none)", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".test.ts"));
    for (const [feature, direction, status, , evidence] of rows) {
      if (evidence === "none") {
        expect(status, `${feature} (${direction}) has no test`).toBe("unsupported");
        continue;
      }
      const [file, name] = [evidence.slice(0, evidence.indexOf(": ")), evidence.slice(evidence.indexOf(": ") + 2)];
      expect(files, `${feature}: ${file}`).toContain(file);
      expect(testNames(file), `${feature}: ${file}`).toContain(name);
    }
  });
});
