# a 2-byte fill at the start of a 4-byte spill of a scalar in [0, 7] keeps its bounds (bpf_stack_narrow_access_ok)
# type: xdp
# map: m array key=4 value=8 entries=1
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +9
mov %r6, %r0
ldxw %r1, [%r6]
and32 %r1, 7
stxw [%r10-16], %r1
call 5
ldxh %r1, [%r10-16]
add %r6, %r1
ldxb %r0, [%r6]
exit
mov %r0, 0
exit
