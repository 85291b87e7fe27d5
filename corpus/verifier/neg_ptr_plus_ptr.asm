# adding two pointers
# type: xdp
# expect: R1 pointer += pointer prohibited
# kernel: reject
add %r1, %r10
mov %r0, 0
exit
