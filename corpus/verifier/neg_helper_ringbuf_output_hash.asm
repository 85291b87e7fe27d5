# ringbuf_output needs a ring buffer
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: cannot pass map_type 1 into func bpf_ringbuf_output#130
# kernel: reject
stdw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
mov %r3, 8
mov %r4, 0
call 130
mov %r0, 0
exit
