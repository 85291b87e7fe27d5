# a direct pointer into an array map's value (global data)
# type: xdp
# map: data array key=4 value=16 entries=1
# expect: accept
# kernel: accept
lddw %r1, map_value 0, 8
ldxdw %r0, [%r1+0]
stdw [%r1-8], 3
exit
