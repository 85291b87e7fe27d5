# an instruction reading the second slot of a ring buffer dynptr
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: invalid read from stack off -8+0 size 8
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
ldxdw %r0, [%r10-8]
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 200
mov %r0, 2
exit
