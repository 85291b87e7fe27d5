# data_end - data is a scalar
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, %r3
sub %r0, %r2
exit
