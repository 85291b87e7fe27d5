# an array lookup with a constant in-range key cannot fail (no null check needed)
# type: xdp
# map: arr array key=4 value=8 entries=2
# expect: accept
# kernel: accept
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
ldxdw %r0, [%r0+0]
exit
