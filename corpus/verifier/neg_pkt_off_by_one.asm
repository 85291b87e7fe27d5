# bound proves 13 bytes, the read needs 14
# type: xdp
# expect: invalid access to packet, off=12 size=2, R2(id=0,off=12,r=13)
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 13
jgt %r4, %r3, drop
ldxh %r0, [%r2+12]
exit
drop:
mov %r0, 1
exit
