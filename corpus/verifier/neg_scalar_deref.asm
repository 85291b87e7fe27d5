# a number used as an address
# type: xdp
# expect: R1 invalid mem access 'scalar'
# kernel: reject
mov %r1, 0x1000
ldxw %r0, [%r1+0]
exit
