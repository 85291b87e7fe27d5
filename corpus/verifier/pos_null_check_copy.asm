# a copy checked: the original is non-null too
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r6, %r0
jeq %r6, 0, out
ldxdw %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
