import { describe, expect, it } from "vitest";
import { ConfigError } from "../../mod.ts";
import { toExceptionInfo } from "../../src/exceptions.ts";
import { backoffCountdown } from "../../src/util/backoff.ts";
import { parseRate, TokenBucket } from "../../src/util/rate-limit.ts";
import { isoWithOffset, naiveUtc, parseInstant } from "../../src/util/time.ts";

describe("retry backoff", () => {
  it("doubles per retry up to the max, as Celery", () => {
    const c = (retries: number) => backoffCountdown({ factor: 1, retries, max: 600, jitter: false });
    expect([0, 1, 2, 3, 9, 10].map(c)).toEqual([1, 2, 4, 8, 512, 600]);
  });
  it("full jitter stays within [0, countdown]", () => {
    expect(backoffCountdown({ factor: 3, retries: 2, max: 600, jitter: true, random: () => 0.999 })).toBe(12);
    expect(backoffCountdown({ factor: 3, retries: 2, max: 600, jitter: true, random: () => 0 })).toBe(0);
  });
});

describe("rate limits", () => {
  it("parses Celery's forms", () => {
    expect(parseRate("10/s")).toBe(10);
    expect(parseRate("120/m")).toBe(2);
    expect(parseRate("36/h")).toBe(0.01);
    expect(parseRate(4)).toBe(4);
    expect(() => parseRate("fast")).toThrow(ConfigError);
  });
  it("spaces tokens 1/rate apart", () => {
    const b = new TokenBucket(2);
    expect(b.take(1000)).toBe(0);
    expect(b.take(1100)).toBe(400);
    expect(b.take(1500)).toBe(0);
  });
});

describe("time", () => {
  it("writes Celery's ISO formats", () => {
    expect(isoWithOffset(Date.UTC(2026, 10, 23, 19, 25, 36, 739))).toBe("2026-11-23T19:25:36.739000+00:00");
    expect(naiveUtc(Date.UTC(2026, 10, 23, 19, 24, 51, 309))).toBe("2026-11-23T19:24:51.309000");
  });
  it("reads naive instants as UTC", () => {
    expect(parseInstant("2026-11-23T19:24:51.309071")).toBe(Date.UTC(2026, 10, 23, 19, 24, 51, 309));
    expect(parseInstant("2026-11-23T20:24:51+01:00")).toBe(Date.UTC(2026, 10, 23, 19, 24, 51));
  });
});

describe("exception records", () => {
  it("maps JS errors to Python modules where a class of that name exists", () => {
    expect(toExceptionInfo(new TypeError("x"))).toEqual({ exc_type: "TypeError", exc_message: ["x"], exc_module: "builtins" });
    expect(toExceptionInfo(new RangeError("y"))).toEqual({ exc_type: "RangeError", exc_message: ["y"], exc_module: "celeriac" });
    expect(toExceptionInfo("plain")).toEqual({ exc_type: "Error", exc_message: ["plain"], exc_module: "celeriac" });
  });
});

describe("result polling", () => {
  it("backs off from 50 ms to 1 s unless an interval is given", async () => {
    const { pollDelays } = await import("../../src/result.ts");
    const wait = pollDelays();
    const seq = Array.from({ length: 10 }, () => Math.round(wait()));
    expect(seq.slice(0, 4)).toEqual([50, 75, 113, 169]);
    expect(seq[9]).toBe(1000);
    const fixed = pollDelays(250);
    expect([fixed(), fixed(), fixed()]).toEqual([250, 250, 250]);
  });
});
