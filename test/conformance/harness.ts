import { Celeriac, type CeleriacConf, type Clock } from "../../mod.ts";
import type { DeadLetterLimits, PullBroker, ResultBackend } from "../../src/ports.ts";

/** One conformance case; `fn` throws on failure. */
export interface Case {
  name: string;
  fn: () => Promise<void>;
  /** Broker traits the case relies on; a fixture that `lacks` one of them does not run it. */
  needs?: Trait[];
}

/**
 * Broker traits some cases rely on, which a push-consumer broker such as AMQP does not have:
 * `visibilityTimeout` (an unacked claim comes back after a time; `extend`), `revocation`
 * (`capabilities.revocation`), `claimAll` (one claim takes across queues in the requested order),
 * `lowPriorityFirst` (kombu Redis priorities), `expiresRevoked` (an expired message reaches the
 * worker, which stores REVOKED, instead of being dropped by the broker as RabbitMQ does),
 * `injectedClock` (delays follow the broker's `now` option, not the server's clock).
 */
export type Trait = "visibilityTimeout" | "revocation" | "claimAll" | "lowPriorityFirst" | "expiresRevoked" | "injectedClock";

/**
 * How a suite gets fresh adapters. Every call to `broker()`/`backend()` must return an
 * isolated instance (its own key prefix on a shared server), paired so that the i-th broker
 * and the i-th backend may share a store.
 */
export interface Fixture {
  name: string;
  /** `now`: the broker's own clock (tests give it the app's, so both read one time). */
  broker(opts?: BrokerOptions): PullBroker;
  backend(): ResultBackend;
  /** Traits this adapter does not have: cases that need them are left out (see `Trait`). */
  lacks?: Trait[];
}

/** Options every pull-broker fixture passes to its adapter factory. */
export interface BrokerOptions {
  /** The broker's clock (epoch ms). */
  now?: () => number;
  deadLetters?: DeadLetterLimits;
}

/**
 * A fresh app on the fixture's adapters; two apps made from one `pair` share storage. With
 * `clock`, the app and a broker made here read the same (test-controlled) time.
 */
export function makeApp(
  f: Fixture,
  conf: Partial<CeleriacConf> = {},
  pair?: { broker: PullBroker; backend: ResultBackend },
  clock?: Clock,
): Celeriac {
  const p = pair ?? { broker: f.broker(clock ? { now: () => clock.now() } : undefined), backend: f.backend() };
  return new Celeriac("conformance", { broker: p.broker, backend: p.backend, conf, clock });
}

/** A pair of adapters for several apps that must see the same queues and results. */
export function pairOf(f: Fixture): { broker: PullBroker; backend: ResultBackend } {
  return { broker: f.broker(), backend: f.backend() };
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every 10 ms until it holds or `timeoutMs` passes. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await delay(10);
  }
}

/** The app's broker as a pull broker (every conformance fixture is one). */
export function pull(app: Celeriac): PullBroker {
  return app.broker as PullBroker;
}
