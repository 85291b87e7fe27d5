# a bpf_for_each_map_elem callback reads 8 bytes of a 4-byte key
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: invalid access to map key, key_size=4 off=0 size=8
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
ldxdw %r0, [%r2+0]
mov %r0, 0
exit
