# bpf_for_each_map_elem with a NULL callback_ctx: the callback's r4 is NULL and it writes through it
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: R4 invalid mem access 'scalar'
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
stdw [%r4+0], 1
mov %r0, 0
exit
