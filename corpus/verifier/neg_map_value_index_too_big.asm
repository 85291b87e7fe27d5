# index & 0xff can pass the 8-byte value
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: invalid access to map value, value_size=8 off=255 size=1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
and %r1, 0xff
add %r0, %r1
ldxb %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
