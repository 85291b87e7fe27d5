# bpf_dynptr_read's destination overlapping its own dynptr (check_stack_range_initialized, raw mode)
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: potential write to dynptr at off=-24 disallowed
# kernel: reject
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
mov %r1, %r10
add %r1, -32
mov %r2, 16
mov %r3, %r10
add %r3, -24
mov %r4, 0
mov %r5, 0
call 201
out:
mov %r0, 2
exit
