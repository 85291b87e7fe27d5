# a bpf_for_each_map_elem callback writes through the key pointer it is given (PTR_TO_MAP_KEY is read-only)
# type: xdp
# map: h hash key=4 value=8 entries=16
# expect: write to change key R2 not allowed
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
stw [%r2+0], 7
mov %r0, 0
exit
