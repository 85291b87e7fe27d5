# index & 7 selects one of 8 u64 in a map value
# type: xdp
# map: slots hash key=4 value=64 entries=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
call 7
mov %r7, %r0
and %r7, 7
lsh %r7, 3
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, %r7
ldxdw %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
