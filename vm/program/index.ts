export { validate, MAX_INSNS, type HelperLookup, type ValidateOptions } from "./validate.js";
export { subprograms, subprogramStarts, subprogramOf, isLocalCall, localCallTarget, type Subprogram } from "./subprograms.js";
export { reservedFieldViolation } from "./reserved.js";
