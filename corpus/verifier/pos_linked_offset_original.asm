# linked scalars with a constant offset: a bound on the original (r1 <= 8) bounds the copy plus 4 (r2 <= 12)
# type: xdp
# map: vals array key=4 value=16 entries=1
# expect: accept
# kernel: accept
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
jgt %r1, 8, out
mov %r1, %r2
mov %r3, %r7
add %r3, %r1
ldxw %r0, [%r3+0]
exit
out:
mov %r0, 0
exit
