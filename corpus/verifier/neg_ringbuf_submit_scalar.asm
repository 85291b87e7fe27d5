# submit needs a reserved record
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: R1 type=scalar expected=ringbuf_mem
# kernel: reject
mov %r1, 0
mov %r2, 0
call 132
mov %r0, 0
exit
