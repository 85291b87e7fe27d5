# a chain of independent branches prunes to linear work
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
mov %r0, 0
ldxb %r5, [%r2+0]
jne %r5, 1, b1
add %r0, 1
b1:
ldxb %r5, [%r2+1]
jne %r5, 1, b2
add %r0, 1
b2:
ldxb %r5, [%r2+2]
jne %r5, 1, b3
add %r0, 1
b3:
ldxb %r5, [%r2+3]
jne %r5, 1, b4
add %r0, 1
b4:
ldxb %r5, [%r2+4]
jne %r5, 1, b5
add %r0, 1
b5:
exit
out:
mov %r0, 1
exit
