import type { Services } from '../domain/context.js';

/** Periodic clean-up: forgets nonces past their 15 minutes. Returns a stop function. */
export function startHousekeeping(
  s: Services,
  onError: (err: unknown) => void,
  everyMs = 60_000,
): () => void {
  const timer = setInterval(() => {
    s.store.nonces.purgeExpired(s.clock.now()).catch(onError);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
