# the read sits on the side where data + 14 > data_end
# type: xdp
# expect: invalid access to packet, off=12 size=2
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jle %r4, %r3, ok
ldxh %r0, [%r2+12]
exit
ok:
mov %r0, 2
exit
