# a jump to itself
# type: xdp
# expect: infinite loop detected
# kernel: reject
mov %r0, 0
l: ja l
