# r10 is read-only
# type: xdp
# expect: frame pointer is read only
# kernel: reject
mov %r10, 0
mov %r0, 0
exit
