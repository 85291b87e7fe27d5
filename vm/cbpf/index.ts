// Classic BPF: parse (tcpdump -dd / -ddd text, struct sock_filter bytes), check (Linux's rules)
// and translate to eBPF for a socket filter. Compiling expressions with tcpdump is Node-only:
// import vm/cbpf/tcpdump.node.js for that.

export * from "./opcodes.js";
export { describeCbpf, cbpfCodes, type CbpfDef, type CbpfKind } from "./table.js";
export { sockFilter, decodeSockFilters, encodeSockFilters, formatSockFilter, listSockFilters, SOCK_FILTER_SIZE, type SockFilter } from "./filter.js";
export { parseTcpdumpDd, parseTcpdumpDdd, parseClassicText, readClassicText, atTextLines, formatTcpdumpDdd, type ClassicText } from "./parse.js";
export { checkClassic, isAncillary, ancillaryIndex } from "./check.js";
export { translateClassic, translateClassicText } from "./translate.js";
