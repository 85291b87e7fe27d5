# map_lookup_elem cannot take a ring buffer
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: invalid zero-sized read
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
