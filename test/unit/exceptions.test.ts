import { describe, expect, it } from "vitest";
import {
  ChordError, MaxRetriesExceededError, NotRegisteredError, SoftTimeLimitExceeded, TaskRevokedError, TimeLimitExceeded,
} from "../../src/errors.ts";
import { ContentDisallowedError } from "../../src/decode.ts";
import { MessageError } from "../../src/errors.ts";
import { toExceptionInfo } from "../../src/exceptions.ts";

// The records Celery 5.2.6 writes (captured from a real prefork worker, see test/interop/errors.test.ts).
describe("exception records in Celery's shape", () => {
  it.each([
    [new NotRegisteredError("ts.nope"), "NotRegistered", ["ts.nope"], "celery.exceptions"],
    [new TimeLimitExceeded(5), "TimeLimitExceeded", [5], "billiard.exceptions"],
    [new SoftTimeLimitExceeded(2), "SoftTimeLimitExceeded", [], "billiard.exceptions"],
    [new TaskRevokedError("expired"), "TaskRevokedError", ["expired"], "celery.exceptions"],
    [new MaxRetriesExceededError("Can't retry t[1] args:[] kwargs:{}"), "MaxRetriesExceededError", ["Can't retry t[1] args:[] kwargs:{}"], "celery.exceptions"],
    [new ChordError("Dependency x raised ValueError('a')"), "ChordError", ["Dependency x raised ValueError('a')"], "celery.exceptions"],
    [new ContentDisallowedError("Refusing"), "ContentDisallowed", ["Refusing"], "kombu.exceptions"],
    [new MessageError("bad body"), "DecodeError", ["bad body"], "kombu.exceptions"],
    [new RangeError(), "RangeError", [], "celeriac"],
    [new TypeError(""), "TypeError", [], "builtins"],
  ])("%s", (err, excType, excMessage, excModule) => {
    expect(toExceptionInfo(err)).toEqual({ exc_type: excType, exc_message: excMessage, exc_module: excModule });
  });
});
