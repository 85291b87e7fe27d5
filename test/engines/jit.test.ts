// The JIT against the shared engine suite: the same conformance corpus, semantics cases, refusals
// and faults as every engine. The JIT does not police each access against RunInput.regions (the
// verifier's job; wasm's bounds are the last line of defence), so region-only checks are skipped.
import { defineEngineSuite } from "./suite.js";

defineEngineSuite("jit", { boundsChecked: false });
