# direct value offset past the value
# type: xdp
# map: data array key=4 value=8 entries=1
# expect: invalid access to map value pointer, value_size=8 off=16
# kernel: reject
lddw %r1, map_value 0, 16
mov %r0, 0
exit
