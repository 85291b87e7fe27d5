export { validate, MAX_INSNS, type HelperLookup, type ValidateOptions } from "./validate.js";
export { applyCtxRewrites, narrowCtxAccesses } from "./ctx-narrow.js";
export { trapDeadFrameWrites } from "./frame-writes.js";
export { subprograms, subprogramStarts, subprogramOf, isLocalCall, isFuncAddress, callbackStarts, localCallTarget, type Subprogram } from "./subprograms.js";
export { reservedFieldViolation } from "./reserved.js";
export { funcAddress, funcAddressSlot, FUNC_ADDRESS_HI } from "./callbacks.js";
export { funcInfo, type FuncInfo } from "./func-info.js";
