# map_update_elem on a devmap from a program: read-only to programs (record_func_map comes
# before check_map_func_compatibility, which refuses it too)
# type: xdp
# map: tx_ports devmap key=4 value=4 entries=4
# expect: write into map forbidden
# kernel: reject
stw [%r10-4], 1
stw [%r10-8], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -8
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 2
exit
