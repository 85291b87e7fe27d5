# 8-byte read at offset 8 of an 8-byte value
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: invalid access to map value, value_size=8 off=8 size=8
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r0, [%r0+8]
exit
out:
mov %r0, 0
exit
