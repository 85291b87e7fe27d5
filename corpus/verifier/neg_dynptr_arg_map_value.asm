# a map value as bpf_dynptr_from_mem's dynptr: a dynptr lives on the stack (check_reg_type)
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: R4 type=map_value expected=fp, dynptr_ptr
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
mov %r4, %r0
call 197
out:
mov %r0, 2
exit
