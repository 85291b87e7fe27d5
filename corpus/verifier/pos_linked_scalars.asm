# bound checked on a copy applies to the original
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
ldxdw %r1, [%r6+0]
mov %r2, %r1
jgt %r2, 7, out
add %r6, %r1
ldxb %r0, [%r6+0]
exit
out:
mov %r0, 0
exit
