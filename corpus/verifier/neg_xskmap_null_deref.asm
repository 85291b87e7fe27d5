# an XSKMAP lookup may return NULL: reading queue_id before the NULL check is refused
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: R0 invalid mem access 'map_value_or_null'
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
ldxw %r0, [%r0+0]
mov %r0, 2
exit
