# w1 = w1 keeps only a meaningless half of the pointer
# type: xdp
# expect: R1 invalid mem access 'scalar'
# kernel: reject
mov32 %r1, %r1
ldxw %r0, [%r1+0]
exit
