# a reserved record is neither submitted nor discarded
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: Unreleased reference
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stdw [%r0+0], 1
out:
mov %r0, 0
exit
