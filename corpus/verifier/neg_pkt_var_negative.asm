# a packet offset that may be negative
# type: xdp
# expect: R4 min value is negative
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, drop
ldxb %r5, [%r2+0]
sub %r5, 10
mov %r4, %r2
add %r4, %r5
mov %r6, %r4
add %r6, 1
jgt %r6, %r3, drop
ldxb %r0, [%r4+0]
exit
drop:
mov %r0, 1
exit
