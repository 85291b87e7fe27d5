export { Interpreter, interpreter, DEFAULT_MAX_INSNS, type InterpreterOptions, type InterpretedProgram } from "./engine.js";
