# arithmetic on a value that may be null
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R0 pointer arithmetic on map_value_or_null prohibited, null-check it first
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
add %r0, 4
mov %r0, 0
exit
