# map_lookup_elem result used without a null check
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
ldxdw %r0, [%r0+0]
exit
