// ARG_PTR_TO_CONST_STR (check_reg_const_str, kernel/bpf/verifier.c): a string the verifier can
// read itself — snprintf's format, strncmp's s2. It must lie at a constant offset in the value
// of a read-only map that nobody can change any more (bpf_map_is_rdonly: BPF_F_RDONLY_PROG and
// frozen, libbpf's .rodata; VerifierMap.frozen holds its bytes), in a map with direct value
// access (a single-entry ARRAY), and be NUL-terminated inside the value. The messages are the
// kernel's, trailing quote included. Then snprintf's format itself is checked
// (check_bpf_snprintf_call). Checked against 6.18 (test/helpers/strings-verifier.test.ts).

import { formatValid } from "../helpers/trace/bprintf.js";
import { constNumS, scalarIsConst, sminNum } from "./bounds.js";
import { MapFlag, mapFlags } from "./map-rules.js";
import { reject } from "./messages.js";
import type { Reg } from "./regs.js";
import type { Env } from "./env.js";

const BPF_MAP_TYPE_ARRAY = 2;

/** The string a map_value register points at, up to and with its NUL; refuses as the kernel does. */
export function constString(env: Env, regno: number, r: Reg): Uint8Array {
  const map = env.maps[r.map]!;
  const bytes = map.frozen;
  if (!(mapFlags(map) & MapFlag.RDONLY_PROG) || !bytes) reject(`R${regno} does not point to a readonly map'`);
  if (!scalarIsConst(r.s)) reject(`R${regno} is not a constant address'`);
  if (map.type !== BPF_MAP_TYPE_ARRAY) reject("no direct value access support for this map type");
  // check_map_access(regno, reg->off, value_size - reg->off): from the pointer to the value's end.
  const size = map.valueSize - r.off;
  const start = sminNum(r.s) + r.off;
  if (start < 0 || size <= 0 || start + size > map.valueSize) {
    reject(`invalid access to map value, value_size=${map.valueSize} off=${start} size=${size}`);
  }
  // array_map_direct_value_addr: one element only.
  if (map.maxEntries !== 1) reject("direct value access on string failed");
  const off = r.off + constNumS(r.s);
  const nul = bytes!.indexOf(0, off);
  if (nul < 0 || nul >= map.valueSize) reject("string is not zero-terminated");
  return bytes!.subarray(off, nul + 1);
}

/**
 * check_bpf_snprintf_call: data_len's known bits (var_off.value: a variable length counts as
 * its fixed bits, often 0) give the number of arguments, which must cover the format's
 * conversions. A length that is no multiple of 8 is refused with EINVAL and no message by the
 * kernel; ours says why.
 */
export function checkSnprintfFormat(fmt: Uint8Array, dataLen: Reg): void {
  const known = dataLen.s.t.value;
  if (known % 8n !== 0n) reject(`R5 data_len ${known} of bpf_snprintf is not a multiple of 8 (the kernel refuses it without a message)`);
  if (!formatValid(fmt, Number(known / 8n))) reject("Invalid format string");
}
