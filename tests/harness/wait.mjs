// Waiting, for every Node suite: a pause, a deadline on a promise, one event of an emitter.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/**
 * Waits for one event of an emitter (anything with `once`/`off`: a client socket, a Manager);
 * resolves with the argument list, or rejects after `ms`, the listener removed.
 */
export function once(emitter, event, ms = 3000, what = `"${event}" event`) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, what).catch((err) => {
    emitter.off(event, handler);
    throw err;
  });
}
