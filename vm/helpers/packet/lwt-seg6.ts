// The seg6local helpers (lwt_seg6local_func_proto, net/core/filter.c): bpf_lwt_seg6_store_bytes
// (74), bpf_lwt_seg6_adjust_srh (75), bpf_lwt_seg6_action (76). They work on the per-CPU SRH
// state the seg6local End.BPF action sets up before it runs the program (seg6_bpf_srh_states),
// which BPF_PROG_TEST_RUN does not: the kernel answers ENOTSUPP to a test run of this type.
//
// lwt_seg6local programs are therefore verified here and not run (ProgramType.verifyOnly):
// these definitions carry the kernel's signatures for the verifier, and a run that reached one
// (no runner starts for the type) stops with an error saying so.

import { BpfRuntimeError } from "../../errors.js";
import type { HelperDef, HelperImpl } from "../registry.js";

const notRun = (name: string): HelperImpl => () => {
  throw new BpfRuntimeError(`bpf_${name} is not run here: it needs the SRH state of a seg6local End.BPF action (lwt_seg6local programs are verified, not run)`);
};

export const lwtSeg6Helpers = (): HelperDef[] => [
  // ARG_PTR_TO_CTX, ARG_ANYTHING (offset), ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE
  { id: 74, name: "lwt_seg6_store_bytes", args: ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size"], ret: "integer", impl: notRun("lwt_seg6_store_bytes") },
  // ARG_PTR_TO_CTX, ARG_ANYTHING (offset), ARG_ANYTHING (delta)
  { id: 75, name: "lwt_seg6_adjust_srh", args: ["ptr_to_ctx", "anything", "anything"], ret: "integer", impl: notRun("lwt_seg6_adjust_srh") },
  // ARG_PTR_TO_CTX, ARG_ANYTHING (action), ARG_PTR_TO_MEM | MEM_RDONLY (param), ARG_CONST_SIZE
  { id: 76, name: "lwt_seg6_action", args: ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size"], ret: "integer", impl: notRun("lwt_seg6_action") },
];
