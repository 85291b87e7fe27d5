# a second bpf_ringbuf_reserve_dynptr into the stack of a ring buffer dynptr still held (mark_stack_slots_dynptr destroys what is there first, and a referenced dynptr refuses)
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
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 200
mov %r0, 2
exit
