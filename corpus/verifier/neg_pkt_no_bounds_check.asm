# packet read with no comparison against data_end at all
# type: xdp
# expect: invalid access to packet, off=12 size=2
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxh %r0, [%r2+12]
exit
