import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const deno = JSON.parse(readFileSync("deno.json", "utf8"));

describe("package manifests", () => {
  it("deno.json and package.json export the same paths", () => {
    expect(Object.keys(deno.exports).sort()).toEqual(Object.keys(pkg.exports).sort());
  });

  it("every npm export points at the build of the file JSR exports", () => {
    for (const [key, target] of Object.entries(deno.exports as Record<string, string>)) {
      const js = target.replace(/^\.\//, "./dist/").replace(/\.ts$/, ".js");
      expect(pkg.exports[key].import, key).toBe(js);
    }
  });

  it("names and versions agree", () => {
    expect(pkg.name).toBe("celeriac");
    expect(deno.name).toBe("@celeriac/celeriac");
    expect(deno.version).toBe(pkg.version);
    expect(deno.license).toBe(pkg.license);
  });
});
