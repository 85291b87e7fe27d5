# scalar minus pointer
# type: xdp
# expect: R0 tried to subtract pointer from scalar
# kernel: reject
mov %r0, 1
sub %r0, %r10
mov %r0, 0
exit
