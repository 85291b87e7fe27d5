# read one byte before data
# type: xdp
# expect: invalid access to packet, off=-1 size=1
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, drop
ldxb %r0, [%r2-1]
exit
drop:
mov %r0, 1
exit
