export { verify, COMPLEXITY_LIMIT, type VerifyOptions, type VerifyResult } from "./verifier.js";
export type { VerifierMap } from "./env.js";
export { MapType } from "./helper-rules.js";
