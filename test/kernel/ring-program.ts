// The ring-buffer test program shared by the kernel-side tests (test/kernel/keyless.test.ts) and
// the engines-vs-kernel tests (test/runtime/kernel-maps.test.ts): XDP over frames of at least
// 64 bytes, map fd 0 a RINGBUF. The frame's byte `opAt` picks the operation:
//   0 = bpf_ringbuf_output of (byte `lenAt` & 63) bytes of the frame (copied to the stack first:
//       the helper may not read the packet);
//   1 = reserve 16 bytes, fill them from frame bytes `fillAt`.. and discard;
//   2 = the same, and submit.
// r0 = output's result, or 0 / 1 when reserve gave a record / NULL; 2 for a frame under 64 bytes.

export interface RingOps {
  readonly opAt: number;
  readonly lenAt: number;
  readonly fillAt: number;
}

export const ringProgram = ({ opAt, lenAt, fillAt }: RingOps): string => `
  ldxw %r2, [%r1]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 64
  jgt %r4, %r3, out
  mov %r6, %r2
  ldxb %r7, [%r6+${opAt}]
  jne %r7, 0, reserve
${Array.from({ length: 8 }, (_, k) => `  ldxdw %r5, [%r6+${k * 8}]\n  stxdw [%r10-${64 - k * 8}], %r5`).join("\n")}
  ldxb %r3, [%r6+${lenAt}]
  and %r3, 63
  lddw %r1, map_fd 0
  mov %r2, %r10
  add %r2, -64
  mov %r4, 0
  call 130
  exit
reserve:
  lddw %r1, map_fd 0
  mov %r2, 16
  mov %r3, 0
  call 131
  jeq %r0, 0, full
  ldxdw %r5, [%r6+${fillAt}]
  stxdw [%r0], %r5
  ldxdw %r5, [%r6+${fillAt + 8}]
  stxdw [%r0+8], %r5
  mov %r1, %r0
  mov %r2, 0
  jeq %r7, 1, discard
  call 132
  mov %r0, 0
  exit
discard:
  call 133
  mov %r0, 0
  exit
full:
  mov %r0, 1
  exit
out:
  mov %r0, 2
  exit`;
