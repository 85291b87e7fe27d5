# a dynptr argument at fp-20: a dynptr is 8-byte aligned (stack_slot_obj_get_spi)
# type: xdp
# expect: cannot pass in dynptr at an offset=-20
# kernel: reject
mov %r1, %r10
add %r1, -40
mov %r2, 8
mov %r3, %r10
add %r3, -20
mov %r4, 0
mov %r5, 0
call 201
mov %r0, 2
exit
