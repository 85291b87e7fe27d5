# a variable offset checked on a copy made before the offset was added
# type: xdp
# expect: invalid access to packet
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 64
jgt %r4, %r3, drop
ldxb %r5, [%r2+0]
and %r5, 31
mov %r6, %r2
add %r6, %r5
mov %r7, %r2
add %r7, 8
jgt %r7, %r3, drop
stb [%r6+40], 1
mov %r0, 2
exit
drop:
mov %r0, 1
exit
