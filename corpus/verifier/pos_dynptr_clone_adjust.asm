# bpf_dynptr_clone of a LOCAL dynptr, the clone narrowed by bpf_dynptr_adjust, both read (6.18: accepted, 41 processed insns)
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: accept
# kernel: accept
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
add %r1, -24
mov %r2, %r10
add %r2, -40
call kfunc bpf_dynptr_clone
mov %r1, %r10
add %r1, -40
mov %r2, 8
mov %r3, 16
call kfunc bpf_dynptr_adjust
mov %r1, %r10
add %r1, -48
mov %r2, 8
mov %r3, %r10
add %r3, -40
mov %r4, 0
mov %r5, 0
call 201
mov %r1, %r10
add %r1, -48
mov %r2, 8
mov %r3, %r10
add %r3, -24
mov %r4, 0
mov %r5, 0
call 201
out:
mov %r0, 2
exit
