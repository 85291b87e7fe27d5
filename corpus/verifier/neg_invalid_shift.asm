# shift by 64
# type: xdp
# expect: invalid shift 64
# kernel: reject
mov %r0, 1
lsh %r0, 64
exit
