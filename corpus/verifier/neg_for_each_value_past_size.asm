# a bpf_for_each_map_elem callback writes past its 8-byte value
# type: xdp
# map: h hash key=4 value=8 entries=16
# expect: invalid access to map value, value_size=8 off=8 size=8
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
stdw [%r3+8], 1
mov %r0, 0
exit
