# r1 must be a map, not the context
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R1 type=ctx expected=map_ptr
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 0
exit
