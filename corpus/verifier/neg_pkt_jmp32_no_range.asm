# a 32-bit comparison of packet pointers proves nothing
# type: xdp
# expect: invalid access to packet, off=0 size=1
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt32 %r4, %r3, drop
ldxb %r0, [%r2+0]
exit
drop:
mov %r0, 1
exit
