# data_end is an end marker, not memory
# type: xdp
# expect: R3 invalid mem access 'pkt_end'
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxb %r0, [%r3-1]
exit
