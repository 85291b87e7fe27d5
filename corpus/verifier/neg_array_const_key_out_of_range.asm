# key 2 of a 2-entry array: the lookup may fail
# type: xdp
# map: arr array key=4 value=8 entries=2
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
stw [%r10-8], 2
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
ldxdw %r0, [%r0+0]
exit
