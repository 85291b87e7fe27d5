// The ELF64 file header (gABI "ELF Header"). Only what a BPF relocatable object can be is
// accepted: 64-bit, little-endian (the byte order clang -target bpf emits on every host, and the
// only one x86/arm64 kernels load), version 1, ET_REL, e_machine = EM_BPF.

import { BpfError } from "../errors.js";
import { ElfBytes } from "./bytes.js";
import {
  ELF64_HEADER_SIZE, ELF64_SHDR_SIZE, ELF_MAGIC, ELFCLASS64, ELFDATA2LSB, EM_BPF, ET_REL, EV_CURRENT,
} from "./constants.js";

export interface ElfHeader {
  readonly type: number;
  readonly machine: number;
  readonly flags: number;
  /** File offset of the section header table. */
  readonly shoff: number;
  readonly shentsize: number;
  /** e_shnum as stored (0 when the count is in section 0's sh_size: extended numbering). */
  readonly shnum: number;
  /** e_shstrndx as stored (SHN_XINDEX when the index is in section 0's sh_link). */
  readonly shstrndx: number;
}

// Field offsets inside the ELF64 header.
const EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6;
const E_TYPE = 16, E_MACHINE = 18, E_VERSION = 20, E_FLAGS = 48, E_EHSIZE = 52;
const E_SHOFF = 40, E_SHENTSIZE = 58, E_SHNUM = 60, E_SHSTRNDX = 62;

export function parseHeader(file: ElfBytes): ElfHeader {
  if (file.length < ELF64_HEADER_SIZE) {
    throw new BpfError(
      `truncated ELF header: the file has ${file.length} bytes, an ELF64 header needs ${ELF64_HEADER_SIZE}`,
      { offset: file.length },
    );
  }
  ELF_MAGIC.forEach((byte, i) => {
    if (file.u8(i, "e_ident") !== byte) {
      throw new BpfError("not an ELF file: bad magic (expected 7f 45 4c 46, \"\\x7fELF\")", { offset: i });
    }
  });
  expect(file, EI_CLASS, ELFCLASS64, "ELF class", "ELFCLASS64 (2)");
  expect(file, EI_DATA, ELFDATA2LSB, "ELF data encoding", "little-endian ELFDATA2LSB (1)");
  expect(file, EI_VERSION, EV_CURRENT, "ELF ident version", "EV_CURRENT (1)");
  const type = file.u16(E_TYPE, "e_type");
  if (type !== ET_REL) {
    throw new BpfError(`e_type is ${type}, expected ET_REL (1): only relocatable objects (clang -c) are loaded`, {
      offset: E_TYPE,
    });
  }
  const machine = file.u16(E_MACHINE, "e_machine");
  if (machine !== EM_BPF) {
    throw new BpfError(`e_machine is ${machine}, expected EM_BPF (${EM_BPF}): not an eBPF object`, {
      offset: E_MACHINE,
    });
  }
  const version = file.u32(E_VERSION, "e_version");
  if (version !== EV_CURRENT) {
    throw new BpfError(`e_version is ${version}, expected EV_CURRENT (1)`, { offset: E_VERSION });
  }
  const ehsize = file.u16(E_EHSIZE, "e_ehsize");
  if (ehsize !== ELF64_HEADER_SIZE) {
    throw new BpfError(`e_ehsize is ${ehsize}, expected ${ELF64_HEADER_SIZE} for ELF64`, { offset: E_EHSIZE });
  }
  const shentsize = file.u16(E_SHENTSIZE, "e_shentsize");
  if (shentsize !== ELF64_SHDR_SIZE) {
    throw new BpfError(`e_shentsize is ${shentsize}, expected ${ELF64_SHDR_SIZE} for ELF64`, {
      offset: E_SHENTSIZE,
    });
  }
  return {
    type,
    machine,
    flags: file.u32(E_FLAGS, "e_flags"),
    shoff: file.u64(E_SHOFF, "e_shoff"),
    shentsize,
    shnum: file.u16(E_SHNUM, "e_shnum"),
    shstrndx: file.u16(E_SHSTRNDX, "e_shstrndx"),
  };
}

function expect(file: ElfBytes, offset: number, want: number, what: string, wantText: string): void {
  const got = file.u8(offset, what);
  if (got !== want) {
    throw new BpfError(`${what} is ${got}, expected ${wantText}`, { offset });
  }
}

export const HEADER_FIELDS = { E_SHOFF, E_SHNUM, E_SHSTRNDX } as const;
