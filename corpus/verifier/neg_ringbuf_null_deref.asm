# reserve may fail
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: R0 invalid mem access 'ringbuf_mem_or_null'
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
stdw [%r0+0], 1
mov %r1, %r0
mov %r2, 0
call 132
mov %r0, 0
exit
