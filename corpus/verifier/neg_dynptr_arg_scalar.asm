# a scalar (0) as bpf_dynptr_read's dynptr (check_reg_type)
# type: xdp
# expect: R3 type=scalar expected=fp, dynptr_ptr
# kernel: reject
mov %r1, %r10
add %r1, -40
mov %r2, 8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 201
mov %r0, 2
exit
