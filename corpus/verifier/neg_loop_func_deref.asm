# a callback's address is read as memory
# type: xdp
# expect: R2 invalid mem access 'func'
# kernel: reject
lddw %r2, func step
ldxdw %r0, [%r2+0]
exit
step:
mov %r0, 0
exit
