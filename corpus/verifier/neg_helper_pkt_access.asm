# a packet pointer passed to bpf_ringbuf_output, whose proto has no pkt_access (only the map helpers and csum_diff take packet memory)
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: helper access to the packet is not allowed
# kernel: reject
ldxw %r7, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r7
add %r4, 8
jgt %r4, %r3, +6
lddw %r1, map_fd 0
mov %r2, %r7
mov %r3, 8
mov %r4, 0
call 130
mov %r0, 2
exit
