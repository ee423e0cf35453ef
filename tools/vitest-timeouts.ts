/**
 * The test deadlines every project's vitest config uses. A deadline only has to catch a hang:
 * CI machines are shared, and at a load of 8 on 2 cores a test that takes 20 s alone takes a
 * minute or more. Hooks start and stop servers, worker processes and CLI runs (vitest's default
 * for them is 10 s).
 */
export const TIMEOUTS = { testTimeout: 180_000, hookTimeout: 120_000 };
