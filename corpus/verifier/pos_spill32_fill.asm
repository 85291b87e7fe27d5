# a bounded 32-bit value spilled with a 4-byte store keeps its bounds (LLVM alu32 spills)
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
ldxw %r1, [%r6+0]
and32 %r1, 7
stxw [%r10-16], %r1
call 5
ldxw %r1, [%r10-16]
add %r6, %r1
ldxb %r0, [%r6+0]
exit
out:
mov %r0, 0
exit
