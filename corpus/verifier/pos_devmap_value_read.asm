# a devmap value may be read (the ifindex of a slot) and the map passed to redirect_map
# type: xdp
# map: tx_ports devmap key=4 value=4 entries=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxw %r2, [%r0+0]
lddw %r1, map_fd 0
mov %r3, 0
call 51
out:
mov %r0, 2
exit
