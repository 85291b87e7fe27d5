// The BpfError a call throws, for tests of bad input: anything else it throws, or returning
// normally, fails the test.

import { BpfError } from "../vm/errors.js";

export function refusal(f: () => unknown): BpfError {
  try {
    f();
  } catch (err) {
    if (err instanceof BpfError) return err;
    throw new Error(`expected a BpfError, got ${String(err)}`);
  }
  throw new Error("expected a BpfError, got none");
}
