# linked scalars with a constant offset: r2 = r1 + 4 <= 17 leaves r1 up to 13, and a 4-byte read at 13 of a 16-byte value
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: invalid access to map value, value_size=16 off=13 size=4
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
add %r2, 4
jgt %r2, 17, out
mov %r3, %r7
add %r3, %r1
ldxw %r0, [%r3+0]
exit
out:
mov %r0, 0
exit
