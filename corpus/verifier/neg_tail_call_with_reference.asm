# a tail call while a ring buffer record is reserved
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# map: jmp prog_array key=4 value=4 entries=4
# expect: tail_call would lead to reference leak
# kernel: reject
mov %r6, %r1
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r7, %r0
mov %r1, %r6
lddw %r2, map_fd 1
mov %r3, 0
call 12
mov %r1, %r7
mov %r2, 0
call 133
out:
mov %r0, 0
exit
