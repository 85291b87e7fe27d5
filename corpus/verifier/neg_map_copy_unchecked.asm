# the null check was on the other lookup's result
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R7 invalid mem access 'map_value_or_null'
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r0, [%r7+0]
exit
out:
mov %r0, 0
exit
