# the reserved size must be a constant
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: R2 is not a known constant
# kernel: reject
call 7
mov %r2, %r0
and %r2, 0xf
lddw %r1, map_fd 0
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 0
call 133
out:
mov %r0, 0
exit
