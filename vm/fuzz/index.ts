// Differential fuzzing: random valid programs (generate.ts) run by several engines and compared
// (harness.ts), mismatches minimised (minimize.ts) into reproducers (report.ts).

export type { FuzzProgram, Stmt, Subprogram } from "./ast.js";
export { DUMP_SIZE, regionSize } from "./ast.js";
export { Random } from "./random.js";
export { generateInput, generateProgram, MAX_STMTS, type FuzzInput, type GenerateOptions } from "./generate.js";
export { emit, type Emitted } from "./emit.js";
export { checkProgram, FlowError, isValid } from "./flow.js";
export { checkCode } from "./validity.js";
export { caseSeed, fuzzMachine, Harness, makeCase, type EngineRun, type FuzzCase, type Mismatch, type Outcome } from "./harness.js";
export { minimize } from "./minimize.js";
export { reproducer } from "./report.js";
export { explain, fuzz, generateOptionsFor, type Failure, type FuzzOptions, type FuzzReport, type FuzzStats } from "./run.js";
export { coverageKey, expectedKeys, fuzzed, tally } from "./coverage.js";
