# negating or byte-swapping a pointer gives an unknown scalar (root: pointer values may leak)
# type: xdp
# expect: accept
# kernel: accept
mov %r2, %r1
neg %r2
be64 %r1
mov %r0, %r2
xor %r0, %r1
and %r0, 2
exit
