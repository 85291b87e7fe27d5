# reserve, then discard
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jne %r0, 0, have
mov %r0, 2
exit
have:
mov %r1, %r0
mov %r2, 0
call 133
mov %r0, 2
exit
