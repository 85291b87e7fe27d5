# a clone of a ring buffer dynptr shares its reference: submitting the original releases the clone too, and the write through it finds no dynptr
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: Expected an initialized dynptr as arg #0
# kernel: reject
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
add %r1, -16
mov %r2, 0
call 199
stdw [%r10-40], 0
mov %r1, %r10
add %r1, -32
mov %r2, 0
mov %r3, %r10
add %r3, -40
mov %r4, 8
mov %r5, 0
call 202
mov %r0, 2
exit
