# bpf_for_each_map_elem's callback_ctx is the xdp context, not a stack pointer or NULL
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: R3 type=ctx expected=fp
# kernel: reject
mov %r3, %r1
lddw %r1, map_fd 0
lddw %r2, func step
mov %r4, 0
call 164
mov %r0, 0
exit
step:
mov %r0, 0
exit
