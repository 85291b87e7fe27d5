# data_meta read without comparing it against data
# type: xdp
# expect: invalid access to packet, off=0 size=1
# kernel: reject
ldxw %r2, [%r1+8]
ldxb %r0, [%r2+0]
exit
