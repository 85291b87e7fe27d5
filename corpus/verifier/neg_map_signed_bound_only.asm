# only an upper signed bound: the index may be hugely negative
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: math between map_value pointer and register with unbounded min value is not allowed
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
jsgt %r1, 7, out
add %r0, %r1
ldxb %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
