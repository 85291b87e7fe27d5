# only the compared register is known past data_end, not a copy taken before the comparison
# type: xdp
# expect: invalid access to packet, off=8 size=1
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
mov %r5, %r4
jgt %r4, %r3, beyond
mov %r0, 0
exit
beyond:
jgt %r5, %r3, out
ldxb %r0, [%r5+0]
exit
out:
mov %r0, 2
exit
