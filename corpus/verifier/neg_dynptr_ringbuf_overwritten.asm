# a store over the second slot of a ring buffer dynptr, which holds a reference (destroy_if_dynptr_stack_slot)
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: cannot overwrite referenced dynptr
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, 0
stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 200
mov %r0, 2
exit
