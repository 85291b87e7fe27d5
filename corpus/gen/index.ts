export { generate, generatePcap, START_NS } from "./generate.js";
export { parseGenSpec, formatGenSpec, MAX_COUNT, type GenSpec } from "./spec.js";
export { MIXES, IMIX_WIRE_SIZES, IMIX_WEIGHTS, type MixDef } from "./mixes.js";
export { Rng } from "./prng.js";
export { checksum, onesSum, pseudoSum4, pseudoSum6 } from "./checksum.js";
export { GENERATED_CAPTURES } from "./captures.js";
