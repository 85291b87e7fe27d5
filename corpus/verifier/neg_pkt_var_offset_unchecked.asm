# a variable offset starts a new range that was never checked
# type: xdp
# expect: invalid access to packet, off=0 size=1
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, drop
ldxb %r5, [%r2+0]
and %r5, 7
add %r2, %r5
ldxb %r0, [%r2+0]
exit
drop:
mov %r0, 1
exit
