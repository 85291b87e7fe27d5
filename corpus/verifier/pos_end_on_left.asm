# data_end on the left-hand side, and the >= form
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jlt %r3, %r4, drop
ldxb %r0, [%r2+13]
mov %r5, %r2
add %r5, 20
jge %r5, %r3, drop
ldxb %r0, [%r2+20]
exit
drop:
mov %r0, 1
exit
