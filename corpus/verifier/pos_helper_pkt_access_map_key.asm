# a map key read straight from the packet (map_lookup_elem's proto has pkt_access)
# type: xdp
# map: m hash key=8 value=8 entries=4
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, +3
lddw %r1, map_fd 0
call 1
mov %r0, 2
exit
