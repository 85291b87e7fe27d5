# arithmetic on data_end
# type: xdp
# expect: R3 pointer arithmetic on pkt_end prohibited
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
add %r3, -1
mov %r0, 0
exit
