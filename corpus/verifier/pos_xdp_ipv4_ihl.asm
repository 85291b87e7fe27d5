# IPv4 header with a variable IHL, then the L4 ports
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 34
jgt %r4, %r3, pass
ldxh %r5, [%r2+12]
jne %r5, 0x8, pass
ldxb %r5, [%r2+14]
and %r5, 0xf
lsh %r5, 2
jlt %r5, 20, pass
mov %r6, %r2
add %r6, 14
add %r6, %r5
mov %r7, %r6
add %r7, 4
jgt %r7, %r3, pass
ldxh %r0, [%r6+2]
exit
pass:
mov %r0, 2
exit
