# ld_ind with a variable offset added to r6 (the ctx)
# type: socket_filter
# expect: variable ctx access var_off=(0x0; 0x3c) disallowed
# kernel: reject
mov %r6, %r1
ldabsb 14
and %r0, 0x3c
add %r6, %r0
mov %r7, 0
ldindb %r7, 0
exit
