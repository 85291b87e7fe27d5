# linked scalars: r2 = r1 * 2 is no constant offset, so a bound on r2 says nothing about r1
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: invalid access to map value, value_size=16 off=255 size=4
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r7, %r0
ldxb %r1, [%r7+0]
mov %r2, %r1
mul %r2, 2
jgt %r2, 16, out
mov %r3, %r7
add %r3, %r1
ldxw %r0, [%r3+0]
exit
out:
mov %r0, 0
exit
