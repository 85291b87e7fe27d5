# bpf_dynptr_from_mem over a map value, bpf_dynptr_read into the stack, a bpf_dynptr_data slice read and written (6.18: accepted, 33 processed insns)
# expect: accept
# kernel: accept
# type: xdp
# map: vals array key=4 value=64 entries=1
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
mov %r1, %r10
add %r1, -40
mov %r2, 16
mov %r3, %r10
add %r3, -24
mov %r4, 0
mov %r5, 0
call 201
mov %r1, %r10
add %r1, -24
mov %r2, 8
mov %r3, 16
call 203
jeq %r0, 0, out
ldxdw %r1, [%r0+8]
stxdw [%r0+0], %r1
out:
mov %r0, 2
exit
