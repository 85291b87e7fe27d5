# a 4-byte key whose bytes hold a constant of an 8-byte store: not a constant key to the kernel
# (get_constant_map_key wants a spill of the key's size), so the lookup may return NULL
# type: xdp
# map: vals array key=4 value=8 entries=4
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
stdw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
ldxdw %r0, [%r0+0]
exit
