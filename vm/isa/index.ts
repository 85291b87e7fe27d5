export * from "./opcodes.js";
export * from "./instruction.js";
export * from "./table.js";
