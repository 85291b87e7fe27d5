export { assemble, type AssembleOptions } from "./assembler.js";
export { disassemble, formatInsn, type DisassembleOptions } from "./disassembler.js";
