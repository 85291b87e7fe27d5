# read at r10 + 0 is past the frame
# type: xdp
# expect: invalid read from stack R10 off=0 size=8
# kernel: reject
ldxdw %r0, [%r10+0]
exit
