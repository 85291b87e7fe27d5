# data_end <= pkt' marks pkt' at or past the end: pkt' < data_end after it is decided false, in either operand order
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
jle %r3, %r4, at
ldxb %r0, [%r2+7]
exit
at:
add %r4, 4
jlt %r4, %r3, bad
jgt %r3, %r4, bad
mov %r0, 1
exit
bad:
ldxb %r0, [%r4+8]
exit
