// BTF (BPF Type Format): the .BTF section's types and strings, the .BTF.ext records
// (func_info, line_info, CO-RE relocations), and the BTF-defined maps of `.maps`.
// Node-free: bytes in, data out.
export { parseBtf, type BtfHeader } from "./parse.js";
export { Btf } from "./btf.js";
export { parseBtfExt, CORE_RELO_KINDS, type BtfExt, type CoreRelo, type FuncInfo, type LineInfo } from "./ext.js";
export { btfMapDefinition, btfMapDefinitions, type BtfMapDef } from "./maps.js";
export { BtfKind, kindName, BTF_MAGIC } from "./kinds.js";
export type * from "./types.js";
