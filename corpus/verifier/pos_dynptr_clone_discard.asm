# a ring buffer dynptr's clone discarded: that releases the record the original holds, so nothing leaks (6.18: accepted, 17 processed insns)
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, %r10
add %r1, -16
mov %r2, %r10
add %r2, -32
call kfunc bpf_dynptr_clone
mov %r1, %r10
add %r1, -32
mov %r2, 0
call 200
mov %r0, 2
exit
